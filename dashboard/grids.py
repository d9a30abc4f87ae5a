"""AG Grid tables for the dashboard pages: Chinese locale, sized columns, pinned names."""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd


def data_grid(
    grid_id: str, frame: pd.DataFrame, height: int | None = 480, pinned: int = 2
) -> dag.AgGrid:
    """A sortable, filterable table; the first ``pinned`` columns (学号, 姓名) stay visible.

    ``height=None`` sizes the grid to its rows (a few rows, e.g. one per semester).
    """
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    columns = [
        {
            "field": c,
            "headerName": c,
            "filter": "agNumberColumnFilter" if c in numeric else "agTextColumnFilter",
            **({"pinned": "left"} if i < pinned else {}),
            # Long texts (reasons) are cut in the cell; the tooltip shows them whole.
            **({} if c in numeric else {"tooltipField": c}),
        }
        for i, c in enumerate(frame.columns)
    ]
    return dag.AgGrid(
        id=grid_id,
        rowData=frame.to_dict("records"),
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "floatingFilter": False,
            "minWidth": 90,
        },
        columnSize="autoSize",
        dashGridOptions={
            "animateRows": False,
            "tooltipShowDelay": 300,
            **({"domLayout": "autoHeight"} if height is None else {}),
        },
        style={"height": height, "width": "100%"} if height else {"width": "100%"},
    )


# --- attendance, warnings, work log, meetings figures
# dag comes from the section above (one import per module keeps ruff's F811 quiet).

# AG Grid speaks English by default; the dashboard is Chinese throughout.
GRID_LOCALE = {
    "noRowsToShow": "没有数据",
    "loadingOoo": "加载中…",
    "filterOoo": "筛选…",
    "searchOoo": "搜索…",
    "selectAll": "全选",
    "blanks": "空白",
    "equals": "等于",
    "notEqual": "不等于",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "andCondition": "且",
    "orCondition": "或",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "cancelFilter": "取消",
    "page": "页",
    "of": "共",
    "to": "至",
    "ariaFilterValue": "筛选值",
}
PERCENT = {"function": "params.value == null ? '—' : d3.format('.1%')(params.value)"}
LEVEL_COLORS = {"critical": "#dc3545", "warning": "#fd7e14", "info": "#ffc107"}
PRESENCE_STYLE = {
    "styleConditions": [
        {"condition": "params.value === '缺席'", "style": {"backgroundColor": "#f8d7da"}},
        {"condition": "params.value === '请假'", "style": {"backgroundColor": "#fff3cd"}},
        {"condition": "params.value === '出席'", "style": {"backgroundColor": "#d1e7dd"}},
    ]
}


def table_grid(
    grid_id: str,
    frame: pd.DataFrame,
    *,
    percent: tuple[str, ...] = (),
    hidden: tuple[str, ...] = (),
    pinned: int = 0,
    wide: tuple[str, ...] = (),
    row_id: str | None = None,
    cell_style: dict | None = None,
    styled: tuple[str, ...] = (),
    max_height: int = 520,
) -> dag.AgGrid:
    """A sortable, filterable AG Grid for one page table.

    Short tables grow to fit (no inner scrollbar); long ones scroll inside a fixed height. Every
    column keeps a minimum width, so on a phone the grid scrolls sideways instead of squeezing
    Chinese headers into ellipses.
    """
    frame = frame.copy()
    for column in frame.columns:
        # ISO dates sort and filter as text the same way they read.
        if frame[column].map(lambda v: hasattr(v, "isoformat")).any():
            frame[column] = frame[column].map(lambda v: v.isoformat() if v is not None else "")
    if row_id:
        # AG Grid wants row ids as strings (warning #25 in the console otherwise).
        frame[row_id] = frame[row_id].astype(str)
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    columns = []
    for i, column in enumerate(frame.columns):
        spec: dict = {
            "field": column,
            "headerName": column,
            "hide": column in hidden,
            "filter": "agNumberColumnFilter" if column in numeric else "agTextColumnFilter",
            "minWidth": 220 if column in wide else _min_width(column, frame[column]),
        }
        if column in wide:
            # Wrapped text needs normal line spacing; AG Grid's line height is the row height.
            spec.update(
                flex=3,
                wrapText=True,
                autoHeight=True,
                cellStyle={"lineHeight": "1.5", "paddingTop": "6px", "paddingBottom": "6px"},
            )
        else:
            spec["flex"] = 1
        if column in percent:
            spec["valueFormatter"] = PERCENT
        if column in numeric:
            spec["type"] = "numericColumn"
        if i < pinned:
            # A pinned column keeps its natural width: stretched, it would fill a phone screen.
            spec.update(pinned="left", flex=None, width=spec["minWidth"])
        if column in styled and cell_style:
            spec["cellStyle"] = cell_style
        columns.append(spec)
    auto = len(frame) <= 12
    options: dict = {
        "localeText": GRID_LOCALE,
        "animateRows": False,
        "suppressCellFocus": True,
        "enableCellTextSelection": True,
    }
    if auto:
        options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=grid_id,
        rowData=frame.to_dict("records"),
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions=options,
        getRowId=f"params.data.{row_id}" if row_id else None,
        style={"width": "100%"} if auto else {"width": "100%", "height": max_height},
        className="ag-theme-alpine",
    )


def _text_width(text: str) -> float:
    """Rough pixel width at the grid's 14 px font: CJK glyphs are square, Latin ones narrower."""
    return sum(15 if ord(ch) > 0x2E80 else 8.5 for ch in text)


def _min_width(column: str, values: pd.Series) -> int:
    """Wide enough for the header (plus sort/filter icons) and the longest value, at most 240."""
    longest = max((_text_width(str(v)) for v in values.head(200)), default=0)
    return int(min(240, max(80, _text_width(column) + 56, longest + 36)))
