"""What every course widget puts on the page: CSS, the keyboard and screen-reader script,
and shared texts. Plain strings – no widget library needed to build them."""

from __future__ import annotations

import html

from course.handin import TEXT_STUB  # nbgrader's text in a learner's empty answer cell

PLEASE_CHOOSE = "– bitte wählen –"

# ipywidgets gives every radio row a fixed height of one line: a longer answer would wrap
# onto the row below and hide its button. Let the rows grow with their text instead.
RADIO_CSS = (
    "<style>.kurs-quiz .widget-radio-box label,.kurs-dialog .widget-radio-box label"
    "{display:flex!important;align-items:flex-start;height:auto!important;"
    "line-height:1.4!important;margin:3px 0}"
    ".kurs-quiz .widget-radio-box input,.kurs-dialog .widget-radio-box input"
    "{order:-1;float:none!important;flex:none;height:auto!important;margin-top:0.2em!important}"
    "</style>"
)

# Keyboard and screen readers inside JupyterLab. Lumino, which dispatches JupyterLab's
# shortcuts, looks for a key binding from the focused element up and stops at an element
# carrying ``data-lm-suppress-shortcuts``: with it on radios, selects and buttons, arrow
# keys, Space and Enter stay in the widget instead of moving the cell selection. Text
# fields keep JupyterLab's shortcuts (Ctrl+S), which ignore them already. The same script
# gives each radio group a name (arrow keys move within it natively) and a label, names
# unlabelled selects after their question and makes every feedback area a live region.
# ipywidgets offers no way to set attributes, so a hidden image runs it once per page
# (as COPY_BUTTON in course.simulator runs its code) and a MutationObserver keeps it
# applied to widgets rendered later. The role-play's announcer (only its new lines) is a
# log, a polite live region as well. A double click on a text cell (the reflection answer)
# opens it for typing: JupyterLab only un-renders it and stays in command mode, where the
# learner's first letters would insert, cut or delete cells. "DEINE ANTWORT HIER" is
# selected, so the answer replaces it. When the focused button is disabled (the role-play's
# "Antworten" at its end), focus moves to the debrief instead of falling to the page.
A11Y_SCRIPT = """(function(){if(window.kursA11y)return;window.kursA11y=1;var n=0,busy=0,last=null;
function text(el){return el?el.textContent.replace(/\\s+/g,' ').trim():''}
document.addEventListener('focusin',function(e){if(e.target.closest&&e.target.closest(ROOTS))
last=e.target},true);
function refocus(){var a=document.activeElement;
if(!last||!last.disabled||(a&&a!==document.body))return;
var root=last.closest(ROOTS),d=root&&root.querySelector('.kurs-debrief');last=null;if(!root)return;
if(d){d.tabIndex=-1;d.focus()}
else{var b=root.querySelector('button:not(:disabled)');if(b)b.focus()}}
function apply(){busy=0;refocus();setTimeout(refocus,300);
document.querySelectorAll(ROOTS).forEach(function(root){
var q=text(root.querySelector('b'));
root.querySelectorAll('input[type=radio],select,button').forEach(function(el){
if(!el.hasAttribute('data-lm-suppress-shortcuts'))el.setAttribute('data-lm-suppress-shortcuts','true')});
root.querySelectorAll('.widget-radio-box').forEach(function(box){
if(!box.dataset.kursGroup)box.dataset.kursGroup='kurs-gruppe-'+(++n);
box.setAttribute('role','radiogroup');if(q&&!box.hasAttribute('aria-label'))box.setAttribute('aria-label',q);
box.querySelectorAll('input[type=radio]').forEach(function(r){r.name=box.dataset.kursGroup})});
root.querySelectorAll('select').forEach(function(sel){if(sel.hasAttribute('aria-label'))return;
var row=sel.closest('.widget-vbox'),head=row&&row.querySelector('.widget-html');
var box=sel.closest('.widget-dropdown'),own=text(box&&box.querySelector('label'));
var name=[text(head),own].filter(Boolean).join(' – ');if(name)sel.setAttribute('aria-label',name)});
root.querySelectorAll('img:not([alt])').forEach(function(i){i.alt=CHART_ALT});
root.querySelectorAll('.kurs-feedback').forEach(function(f){f.setAttribute('role','status');
f.setAttribute('aria-live','polite')});
root.querySelectorAll('.kurs-announce').forEach(function(f){f.setAttribute('role','log');
f.setAttribute('aria-live','polite')})})}
document.addEventListener('dblclick',function(e){
var c=e.target.closest&&e.target.closest('.jp-MarkdownCell');if(!c)return;
function edit(){var ed=c.querySelector('.cm-content');
if(!ed||c.classList.contains('jp-mod-rendered')||ed.contains(document.activeElement))return;
ed.focus();if(text(ed)===STUB)window.getSelection().selectAllChildren(ed)}
setTimeout(edit,50);setTimeout(edit,250)},true);
new MutationObserver(function(){if(!busy){busy=1;requestAnimationFrame(apply)}})
.observe(document.body,{childList:true,subtree:true});apply()})()"""
A11Y_ROOTS = ".kurs-quiz,.kurs-dialog,.kurs-abgabe,.kurs-protokoll"
# The only picture in a course widget: the protocol's weekly chart (course.protocol).
CHART_ALT = ("Balkendiagramm: Anteil der Gespräche je Woche, in denen du ruhig geblieben bist; "
             "die Zahlen stehen unter „Deine Wochen“.")
A11Y_CSS = (
    "<style>:is(.kurs-quiz,.kurs-dialog,.kurs-abgabe,.kurs-protokoll) :focus-visible"
    "{outline:3px solid #1a4f8b!important;outline-offset:2px!important}"
    ".kurs-jargon .jupyter-button.mod-warning{background-color:#a84300!important;color:#fff}"
    # read by screen readers, not shown: the role-play's new lines (course.simulator)
    ".kurs-announce{position:absolute!important;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%);white-space:nowrap}"
    "</style>"
)
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


def _script() -> str:
    return (A11Y_SCRIPT.replace("ROOTS", repr(A11Y_ROOTS))
            .replace("CHART_ALT", repr(CHART_ALT)).replace("STUB", repr(TEXT_STUB)))


PAGE_HEAD = (
    RADIO_CSS + A11Y_CSS
    + f'<img alt="" src="{_PIXEL}" style="display:none" onload="'
    + html.escape(_script(), quote=True) + '">'
)
