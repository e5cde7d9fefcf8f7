"""Offline check of the Kubernetes sketch (deploy/k8s/): chart values and manifests.

    python tools/z2jh_check.py CHART_DIR

CHART_DIR is the ``jupyterhub/`` folder of the Zero to JupyterHub repository at tag 4.4.0
(``git archive 4.4.0 jupyterhub | tar -x``). The script, in a copy of it, sets the version
and image tags that the chart's release tooling (chartpress) would set and writes
``values.schema.json`` from ``values.schema.yaml`` as that tooling does. Then it

1. validates ``deploy/k8s/values.yaml`` against the chart's schema and renders the chart
   with it (Helm's Go SDK through ``helm-python-sdk``, no cluster, no helm binary);
2. checks in the rendered manifests what docs/workshop.md relies on: the formgrader's token
   in Secret ``hub``, the read-only exchange mounts, no fsGroup, the roles in the hub config;
3. validates ``deploy/k8s/formgrader.yaml`` and the rendered manifests against the
   Kubernetes API schemas (``kubernetes-validate``).

Neither tool is in requirements.txt (the Helm library alone is 244 MB) and the chart is not
vendored, so this is not part of ./run-tests; docs/workshop.md records a run.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CHART_VERSION = "4.4.0"
K8S_VERSION = "1.32.0"  # the chart's kubeVersion floor


def prepared_chart(source: Path, into: Path) -> Path:
    chart = into / "jupyterhub"
    shutil.copytree(source, chart)
    meta = chart / "Chart.yaml"
    meta.write_text(meta.read_text().replace("0.0.1-set.by.chartpress", CHART_VERSION))
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace("set-by-chartpress", CHART_VERSION))
    schema = yaml.safe_load((chart / "values.schema.yaml").read_text())
    (chart / "values.schema.json").write_text(json.dumps(schema))
    return chart


def _yaml(rendered: dict[str, str]) -> list[str]:
    return [text for path, text in sorted(rendered.items()) if path.endswith(".yaml")]


def facts(rendered: dict[str, str]) -> list[str]:
    """What the docs claim about the rendered chart; each entry is a failed claim."""
    docs = [d for text in _yaml(rendered) for d in yaml.safe_load_all(text) if d]
    secret = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "hub")
    data = secret.get("data", {})
    values = yaml.safe_load(base64.b64decode(data["values.yaml"])) if "values.yaml" in data \
        else None  # what the hub's jupyterhub_config.py reads
    failed = []
    if "hub.services.kundenkommunikation.apiToken" not in secret.get("data", {}):
        failed.append("no token of the formgrader service in Secret hub")
    if values is not None:
        singleuser = values["singleuser"]
        mounts = {m["subPath"]: m.get("readOnly", False)
                  for m in singleuser["storage"]["extraVolumeMounts"]}
        if mounts != {"kundenkommunikation/outbound": True,
                      "kundenkommunikation/feedback": True,
                      "kundenkommunikation/inbound": False}:
            failed.append(f"exchange mounts differ: {mounts}")
        if singleuser.get("fsGid") is not None:
            failed.append("singleuser.fsGid is set")
        if set(values["hub"]["loadRoles"]) != {
                "trainer", "formgrade-kundenkommunikation", "nbgrader-kundenkommunikation",
                "server", "grader-kundenkommunikation"}:
            failed.append("roles differ")
        if values["hub"]["config"]["Authenticator"]["admin_users"]:
            failed.append("hub admins configured")
    else:
        failed.append("the hub's values not found in Secret hub")
    return failed


def main(argv: list[str]) -> int:
    import helm_python as helm
    import kubernetes_validate

    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    values = yaml.safe_load((REPO / "deploy" / "k8s" / "values.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        chart = helm.Chart.load(prepared_chart(Path(argv[0]), Path(tmp)))
        chart.validate_schema(values)
        print(f"values.yaml: valid for chart {chart.name} {chart.version}")
        rendered = chart.render(values, name="kurs", namespace="kurs", is_install=True)
    print(f"rendered: {len(rendered)} templates")
    failed = facts(rendered)
    manifests = [d for text in _yaml(rendered) for d in yaml.safe_load_all(text) if d]
    own = list(yaml.safe_load_all((REPO / "deploy" / "k8s" / "formgrader.yaml").read_text()))
    for doc in [*manifests, *own]:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            failed.append(f"{doc['kind']}/{doc['metadata']['name']}: {err.message}")
    print(f"Kubernetes {K8S_VERSION} schemas: {len(manifests)} rendered + {len(own)} own "
          "manifests checked")
    for line in failed:
        print("FEHLER", line)
    print("ok" if not failed else f"{len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
