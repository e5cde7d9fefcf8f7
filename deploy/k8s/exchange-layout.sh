#!/bin/sh
# The exchange on the NFS (or CephFS) export, made once by root ON THE FILE SERVER (a pod's
# root is squashed by root_squash). Learners are uid 1000 in every pod, the formgrader uid
# 1001: learners cannot list inbound or feedback, nor write outbound. NOT run by the tests.
set -eu
EXPORT=${1:?usage: exchange-layout.sh /export/nbgrader/exchange}
install -d -m 1777 -o 0    -g 0    "$EXPORT"
install -d -m 0755 -o 1001 -g 1001 "$EXPORT/kundenkommunikation"
install -d -m 0755 -o 1001 -g 1001 "$EXPORT/kundenkommunikation/outbound"
install -d -m 2733 -o 1001 -g 1001 "$EXPORT/kundenkommunikation/inbound"
install -d -m 0711 -o 1001 -g 1001 "$EXPORT/kundenkommunikation/feedback"
