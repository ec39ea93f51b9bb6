"""Component ids, named once so layouts, callbacks and browser tests agree.

Browser tests select elements by these ids (`#f-category`), so renaming one
is a deliberate change, not a refactor.
"""

from __future__ import annotations

# shell
URL = "url"
CSRF_TOKEN = "csrf-token"  # dcc.Store: this browser's token for the alert actions
ACCOUNT = "account"  # the signed-in user and the sign-out button (with sign-in on)
STATE = "state"  # dcc.Store: {"params": [[name, value], ...], "view": {...}, "error": str|None}
PAGE = "page"
NAV = "nav"
ERROR_BANNER = "filter-error"
DEMO_BANNER = "demo-banner"
EXPORT_JSON = "export-json"
EXPORT_CSV = "export-csv"
EXPORT_XLSX = "export-xlsx"
EXPORT_STIX = "export-stix"
UI_LANG = "ui-lang"  # dcc.Store: the interface language the page was served in
LANG_SWITCH = "lang-switch"  # the ru / kk / en links; each link is "ui-<code>"

# filter controls (one per URL parameter)
F_DATES = "f-dates"  # DatePickerRange: start_date -> from, end_date -> to
F_CATEGORY = "f-category"
F_REGION = "f-region"
F_PLATFORM = "f-platform"
F_ACTOR = "f-actor"
F_LANG = "f-lang"
F_SOURCE = "f-source"
F_Q = "f-q"
F_CLEAR = "f-clear"
PRESET = "preset"  # pattern id: {"type": PRESET, "days": N} (0 = all time)

# overview
OV_TOTALS = "ov-totals"
OV_CATEGORIES = "ov-categories"
OV_REGIONS = "ov-regions"
OV_PLATFORMS = "ov-platforms"
OV_NEWEST = "ov-newest"

# trends
TR_OPTIONS = "tr-options"
TR_GRAPH = "tr-graph"
TR_NOTE = "tr-note"
TR_METHODS = "tr-methods"
TR_METHOD_STORIES = "tr-method-stories"

# regions
RG_MAP = "rg-map"
RG_HEATMAP = "rg-heatmap"
RG_NOTE = "rg-note"

# platforms
PL_OPTIONS = "pl-options"
PL_TREND = "pl-trend"
PL_SHARE = "pl-share"
PL_CATEGORIES = "pl-categories"

# cyber
CY_OPTIONS = "cy-options"
CY_NOTE = "cy-note"
CY_TREND = "cy-trend"
CY_REGIONS = "cy-regions"
CY_SOURCES = "cy-sources"
CY_NEWEST = "cy-newest"

# items
IT_SUMMARY = "it-summary"
IT_TABLE = "it-table"
IT_PAGER = "it-pager"

# sources
SR_TABLE = "sr-table"

# alerts view
AL_STATES = "al-states"
AL_LIST = "al-list"
AL_TABLE = "al-table"
AL_VERSION = "al-version"  # dcc.Store bumped after each action: list and detail re-read
AL_DETAIL = "al-detail"
AL_TITLE = "al-title"
AL_SUMMARY = "al-summary"
AL_CHART = "al-chart"
AL_STORIES = "al-stories"
AL_LANG = "al-lang"
AL_PLAYBOOK = "al-playbook"
AL_CHECK = "al-check"  # one dcc.Checklist per playbook section: al-check-verify, ...
AL_CHECK_MESSAGE = "al-check-message"
AL_NOTE = "al-note"
AL_ACTION = "al-action"  # pattern id: {"type": AL_ACTION, "action": "acknowledge"}
AL_MESSAGE = "al-message"
AL_HISTORY = "al-history"

# organizations
OR_OPTIONS = "or-options"
OR_TREND = "or-trend"
OR_LIST = "or-list"  # one article per organization: or-org-<id>, its name links to actor=<id>

# Emerging terms
TE_SUMMARY = "te-summary"
TE_LIST = "te-list"
TE_PICK = "te-pick"  # pattern id: {"type": TE_PICK, "term": "..."}: put the term in the form
TE_TERM = "te-term"
TE_CATEGORY = "te-category"
TE_LANG = "te-lang"
TE_PROPOSE = "te-propose"
TE_MESSAGE = "te-message"
TE_VERSION = "te-version"  # dcc.Store bumped after a proposal: the list is read again
