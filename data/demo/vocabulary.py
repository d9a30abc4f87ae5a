"""The demo's fixed names, logins and word lists; shift slots and their capacity."""

from __future__ import annotations

from datetime import time

from data.models import LeaveKind

TEAM_NAME = "数学与物理学院助管团"
COLLEGE = "数学与物理学院"
MAIN_PLACE = "学工办"
AID_PLACE = "资助办"

COUNSELOR_USERNAME, COUNSELOR_PASSWORD = "T0001", "demo-counselor"
LEADERSHIP_USERNAME, LEADERSHIP_PASSWORD = "L0001", "demo-leader"
ASSISTANT_PASSWORD = "demo1234"
LEADER_USERNAME = "20242103"  # 团长, 2024级研究生
TYPICAL_USERNAME = "20230215"  # an ordinary assistant (in the current semester: exactly 1 late)

DEMO_LOGINS: list[tuple[str, str, str, str]] = [
    (
        "兼辅",
        COUNSELOR_USERNAME,
        COUNSELOR_PASSWORD,
        "王老师：名单、请假审批、补签、例会、考核、补贴、设置",
    ),
    ("学工组领导", LEADERSHIP_USERNAME, LEADERSHIP_PASSWORD, "只读：学期统计、学期对比、打印报表"),
    ("团长", LEADER_USERNAME, ASSISTANT_PASSWORD, "值班安排、日常考勤、例会考勤、通讯录"),
    (
        "助管",
        TYPICAL_USERNAME,
        ASSISTANT_PASSWORD,
        "扫码签到/签退、工作记录、请假；所有助管的密码都是 demo1234",
    ),
]

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_GIVEN = _words(
    "浩然 子轩 宇航 俊杰 志强 明哲 嘉豪 天佑 博文 思远 一鸣 建华 晓东 泽宇 文博 振宇 "
    "昊天 鹏飞 家乐 子豪 凯 磊 超 涛 斌 鑫 昊 航 铭 宏伟 立新 国栋"
)
FEMALE_GIVEN = _words(
    "雨欣 梓涵 思琪 欣怡 佳怡 诗涵 梦瑶 雅婷 晓雯 婧 静怡 若曦 嘉欣 紫萱 雨桐 "
    "可馨 心怡 慧敏 晓燕 丹 婷 璐 颖 倩 悦 琳 佳琪 梦洁 文静 秀英"
)
UNDERGRAD_MAJORS = (
    ("数学与应用数学", "01"),
    ("信息与计算科学", "02"),
    ("物理学", "03"),
    ("应用物理学", "04"),
    ("统计学", "05"),
)
GRAD_MAJORS = (
    ("基础数学", "21"),
    ("应用数学", "22"),
    ("计算数学", "23"),
    ("理论物理", "24"),
    ("凝聚态物理", "25"),
    ("概率论与数理统计", "26"),
)
POSTS = ("学工办值班", "档案整理", "宣传", "资助", "党建", "心理健康", "就业")
POLITICAL = (("中共党员", 0.7), ("中共预备党员", 0.2), ("共青团员", 0.1))

GRADES_TEXT = ("2022级", "2023级", "2024级", "2025级")
SCHOLARSHIPS = ("国家奖学金", "国家励志奖学金", "国家助学金", "学业奖学金", "校长奖学金")
NOTICES = ("期中教学检查", "宿舍安全检查", "防范电信诈骗", "评奖评优", "寒假离校", "体测补测")
TOPICS = ("心理健康月", "学风建设", "防诈骗宣传", "秋季招聘会", "考研经验交流会", "安全教育周")
QUESTIONS = ("奖助学金", "学籍异动", "请假销假", "转专业", "缓考申请", "助学贷款")
EVENTS = ("青年志愿者", "数学建模竞赛", "校运动会", "考研经验交流会", "大学生物理竞赛")

TASKS = (
    "整理{grade}学生档案，核对学籍信息",
    "接待来访学生并登记，共{n}人次",
    "录入{scholarship}申请材料{n}份",
    "核对助学贷款名单，标出信息不一致的{m}条",
    "发放{notice}通知，并在班级群确认收到",
    "更新学院宣传栏，张贴{topic}海报",
    "整理学工办文件柜，归档本周会议材料",
    "协助辅导员统计{grade}请假情况",
    "接听学生咨询电话，解答{question}相关问题",
    "扫描{grade}党员发展材料并上传系统",
    "录入勤工助学岗位考勤表",
    "核对{scholarship}公示名单",
    "整理心理健康普查问卷{n}份",
    "打印并装订{grade}学籍异动材料",
    "统计各班{event}报名情况",
    "复印并分发{notice}材料",
    "登记困难学生认定材料{m}份",
    "整理毕业生就业协议书{m}份",
)
REFLECTIONS = (
    "工作中注意保密，重要材料已锁入抽屉。",
    "与值班同学配合顺利，按时完成了老师交办的任务。",
    "发现档案编号有重复，已报告老师处理。",
    "下周计划提前熟悉奖助学金评审流程。",
    "来访学生较多，今后要提高登记效率。",
    "离开办公室时已检查门窗并锁门。",
    "部分材料缺少签字，已通知相关班级补交。",
)
LEAVE_REASONS = {
    LeaveKind.personal: ("家中有事需回家一趟", "参加亲属婚礼", "办理身份证补办手续"),
    LeaveKind.sick: ("感冒发烧，需去校医院就诊", "牙疼，预约了口腔科", "肠胃不适，需休息"),
    LeaveKind.exam: ("与期中考试时间冲突", "参加英语六级口语考试", "参加课程补考"),
    LeaveKind.official: (
        "参加学院团委组织的志愿活动",
        "代表学院参加数学建模竞赛",
        "参加党支部集中学习",
    ),
}
PHONE_REASONS = (
    "突发急性肠胃炎，电话向王老师请假",
    "家中突发急事连夜回家，电话请假",
    "骑车摔伤去校医院处理，电话请假",
)
XIANZHAN_REASON = "临时有事没能按时到岗，事后补交请假申请"

# Shift slots (weekday 1–5): 学工办 four slots a day, 资助办 two; up to 3 people per shift.
MAIN_SLOTS = ((time(8, 0), time(10, 0)), (time(10, 0), time(12, 0)))
MAIN_SLOTS += ((time(14, 0), time(16, 0)), (time(16, 0), time(18, 0)))
AID_SLOTS = ((time(9, 0), time(11, 30)), (time(14, 30), time(17, 0)))
MAIN_CAPACITY, AID_CAPACITY = 3, 3
