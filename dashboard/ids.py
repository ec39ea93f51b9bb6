"""Component ids, named once so layouts, callbacks and browser tests agree.

Browser tests select elements by these ids (`#f-category`), so renaming one
is a deliberate change, not a refactor.
"""

from __future__ import annotations

# shell
URL = "url"
STATE = "state"  # dcc.Store: {"params": [[name, value], ...], "view": {...}, "error": str|None}
PAGE = "page"
NAV = "nav"
ERROR_BANNER = "filter-error"
DEMO_BANNER = "demo-banner"
EXPORT_JSON = "export-json"
EXPORT_CSV = "export-csv"
EXPORT_XLSX = "export-xlsx"

# filter controls (one per URL parameter)
F_DATES = "f-dates"  # DatePickerRange: start_date -> from, end_date -> to
F_CATEGORY = "f-category"
F_REGION = "f-region"
F_PLATFORM = "f-platform"
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
