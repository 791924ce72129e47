"""Dashboard strings in Korean and English; every key has both (a test checks)."""

from __future__ import annotations

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"

# fmt: off
STRINGS: dict[str, dict[str, str]] = {
    "app_name":        {"ko": "감염병 대응 시스템", "en": "Outbreak response"},
    "login":           {"ko": "로그인", "en": "Log in"},
    "logout":          {"ko": "로그아웃", "en": "Log out"},
    "username":        {"ko": "아이디", "en": "Username"},
    "password":        {"ko": "비밀번호", "en": "Password"},
    "login_failed":    {"ko": "아이디 또는 비밀번호가 틀렸습니다.",
                        "en": "Incorrect username or password."},
    "overview":        {"ko": "현황", "en": "Overview"},
    "cases":           {"ko": "확진자", "en": "Cases"},
    "map_title":       {"ko": "지역별 격리 중 확진자",
                        "en": "Active cases by district"},
    "map_seoul":       {"ko": "서울", "en": "Seoul"},
    "map_korea":       {"ko": "전국", "en": "Korea"},
    "active_cases":    {"ko": "격리 중", "en": "Active"},
    "total_cases":     {"ko": "누적 확진", "en": "Total cases"},
    "no_cases":        {"ko": "확진자 없음", "en": "No cases"},
    "case_id":         {"ko": "번호", "en": "No."},
    "district":        {"ko": "관할 지역", "en": "District"},
    "confirmed_on":    {"ko": "확진일", "en": "Confirmed"},
    "onset_on":        {"ko": "증상 발현일", "en": "Onset"},
    "source":          {"ko": "감염 경로", "en": "Source"},
    "state":           {"ko": "상태", "en": "State"},
    "all":             {"ko": "전체", "en": "All"},
    "filter":          {"ko": "조회", "en": "Filter"},
    "previous":        {"ko": "이전", "en": "Previous"},
    "next":            {"ko": "다음", "en": "Next"},
    "page_of":         {"ko": "{start}–{end} / 총 {count}건",
                        "en": "{start}–{end} of {count}"},
    "signed_in_as":    {"ko": "접속", "en": "Signed in as"},
    "scopes":          {"ko": "관할", "en": "Jurisdiction"},
    "legend":          {"ko": "범례", "en": "Legend"},
    "isolated":        {"ko": "격리 중", "en": "Isolated"},
    "in_hospital":     {"ko": "입원 중", "en": "In hospital"},
    "released":        {"ko": "격리 해제", "en": "Released"},
    "deceased":        {"ko": "사망", "en": "Deceased"},
    "local":           {"ko": "지역 감염", "en": "Local"},
    "imported":        {"ko": "해외 유입", "en": "Imported"},
    "unknown":         {"ko": "조사 중", "en": "Unknown"},
    "forbidden":       {"ko": "권한이 없습니다.", "en": "You do not have permission."},
    "api_docs":        {"ko": "API 문서", "en": "API docs"},
}
# fmt: on


def pick_language(requested: str | None, cookie: str | None, accept: str | None) -> str:
    """The language to render: ``?lang=``, then the cookie, then Accept-Language.

    Examples
    --------
    >>> pick_language(None, None, "en-US,en;q=0.9")
    'en'
    >>> pick_language("ko", "en", "en")
    'ko'
    """
    for choice in (requested, cookie):
        if choice in LANGUAGES:
            return choice
    if accept and accept.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def translator(lang: str) -> dict[str, str]:
    """All strings in ``lang``."""
    return {key: texts[lang] for key, texts in STRINGS.items()}
