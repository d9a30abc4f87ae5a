"""Blank import files (SPEC §6): the Chinese headers, one example row and a 说明 sheet each."""

from __future__ import annotations

import pandas as pd

from data.importers.common import EVENT_COLUMNS, ROSTER_COLUMNS, ROSTER_OPTIONAL, SCHEDULE_COLUMNS

# Every file: how it is read, and that the example row must go before importing.
_GENERAL = (
    (
        "（文件）",
        "",
        "Excel（.xlsx，只读第一个工作表）或 CSV（UTF-8 或 GB18030 编码）；第一行为表头。",
    ),
    ("（示例行）", "", "第 2 行是示例，导入前请删除或改成真实数据。"),
    ("（错误行）", "", "有错误的行会逐行列出（行号、列、原因），默认不写入任何数据。"),
)

_ROSTER_NOTES = (
    ("学号", "必填", "登录账号：字母、数字、- 和 _，最多 32 位；在文件中不能重复。"),
    ("姓名", "必填", ""),
    ("性别", "可空", "男 或 女。"),
    ("学历层次", "可空", "例如：研究生、本科生。"),
    ("年级", "可空", "例如：2024级。"),
    ("专业", "可空", ""),
    ("手机", "可空", "手机号码（数字，可带 + 和 -）。"),
    ("QQ", "可空", "5–12 位数字。"),
    ("政治面貌", "可空", "例如：中共党员、中共预备党员、共青团员、群众。"),
    ("家庭经济困难", "可空", "是 或 否；只有兼辅老师能看到。"),
    (
        "角色",
        "可空",
        "助管 / 团长 / 兼辅 / 领导，空白为助管；只在首次导入时采用，之后由选举或兼辅修改。",
    ),
    ("岗位", "可空", "例如：学工办。"),
    ("邮箱", "可选列", "可以整列删除。"),
    ("（再次导入）", "", "已有的人：非空单元格更新资料，空白单元格保留原值；密码和角色不变。"),
    ("（新账号）", "", "自动生成初始密码（可下载或打印），首次登录须修改。"),
)

_SCHEDULE_NOTES = (
    ("学号", "必填", "已导入名单的助管或团长。"),
    ("星期", "必填", "1–7 或 周一…周日。"),
    ("开始", "必填", "时间 HH:MM，例如 08:00。"),
    ("结束", "必填", "时间 HH:MM，晚于开始时间。"),
    ("岗位", "必填", "值班地点，例如：学工办。"),
    ("（生效日期）", "", "导入时选择；自该日起替换每周安排，之前的值班不变。"),
)

_EVENT_NOTES = (
    ("学号", "必填", "已导入名单的账号。"),
    ("时间", "必填", "本地时间 YYYY-MM-DD HH:MM（秒可选），例如 2026-09-07 08:00。"),
    ("动作", "必填", "签到 或 签退。"),
    ("（重复导入）", "", "同一条记录导入两次不会重复。"),
)

TEMPLATES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple]] = {
    # kind: (file name, columns, example row, notes)
    "roster": (
        "名单模板.xlsx",
        (*ROSTER_COLUMNS, *ROSTER_OPTIONAL),
        (
            "2024001",
            "张三",
            "男",
            "研究生",
            "2024级",
            "数学",
            "13800000000",
            "123456789",
            "中共党员",
            "否",
            "助管",
            "学工办",
            "zhangsan@example.edu.cn",
        ),
        _ROSTER_NOTES,
    ),
    "schedule": (
        "值班表模板.xlsx",
        SCHEDULE_COLUMNS,
        ("2024001", "周一", "08:00", "10:00", "学工办"),
        _SCHEDULE_NOTES,
    ),
    "events": (
        "签到记录模板.xlsx",
        EVENT_COLUMNS,
        ("2024001", "2026-09-07 08:00", "签到"),
        _EVENT_NOTES,
    ),
}


def template_frames(kind: str) -> dict[str, pd.DataFrame]:
    """The sheets of one template: the data sheet (header + example row) and 说明."""
    _, columns, example, notes = TEMPLATES[kind]
    # Text cells, so 学号 and 手机 stay text in Excel (no 2.02E+09, no lost leading zeros).
    data = pd.DataFrame([list(example)], columns=list(columns), dtype=object)
    explained = pd.DataFrame([*notes, *_GENERAL], columns=["列", "是否必填", "说明"], dtype=object)
    return {"数据": data, "说明": explained}


def template_filename(kind: str) -> str:
    return TEMPLATES[kind][0]
