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
    "movement_nav":    {"ko": "이동 데이터", "en": "Movement data"},
    "movement_title":  {"ko": "수집된 이동 데이터 (출처·지역별 건수)",
                        "en": "Ingested movement data (rows by source and district)"},
    "no_movement":     {"ko": "아직 수집된 이동 데이터가 없습니다 (outbreak ingest).",
                        "en": "No movement data ingested yet (outbreak ingest)."},
    "period":          {"ko": "기간", "en": "Period"},
    "total":           {"ko": "합계", "en": "Total"},
    "src_gps":         {"ko": "GPS", "en": "GPS"},
    "src_telecom":     {"ko": "기지국", "en": "Base station"},
    "src_card":        {"ko": "카드", "en": "Card"},
    "src_qr":          {"ko": "QR 출입명부", "en": "QR check-in"},
    "src_phone":       {"ko": "안심콜", "en": "Phone check-in"},
    "other_area":      {"ko": "기타 지역", "en": "Elsewhere"},
    "rt_nav":          {"ko": "감염재생산지수", "en": "Rt"},
    "rt_title":        {"ko": "감염재생산지수 (Rt, 7일 창)",
                        "en": "Reproduction number (Rt, 7-day windows)"},
    "rt_map_title":    {"ko": "시·도별 최근 Rt", "en": "Latest Rt by province"},
    "band95":          {"ko": "95% 신용구간", "en": "95% credible interval"},
    "region":          {"ko": "지역", "en": "Region"},
    "national":        {"ko": "전국", "en": "Korea"},
    "show":            {"ko": "보기", "en": "Show"},
    "current_rt":      {"ko": "최근 Rt", "en": "Latest Rt"},
    "growth":          {"ko": "일일 증가율", "en": "Daily growth"},
    "doubling":        {"ko": "배가 시간", "en": "Doubling time"},
    "halving":         {"ko": "반감 시간", "en": "Halving time"},
    "days":            {"ko": "일", "en": "days"},
    "projection_title": {"ko": "4주 전망 (SEIR)", "en": "4-week projection (SEIR)"},
    "daily_cases":     {"ko": "일일 확진", "en": "Daily cases"},
    "observed":        {"ko": "관측", "en": "Observed"},
    "scenario_as_now": {"ko": "현 수준 유지", "en": "As now"},
    "scenario_stricter": {"ko": "강화 (접촉 -20%)", "en": "Stricter (-20% contacts)"},
    "scenario_looser": {"ko": "완화 (접촉 +20%)", "en": "Looser (+20% contacts)"},
    "rt_source":       {"ko": "자료", "en": "Data"},
    "source_korea":    {"ko": "대한민국 2020 (실제)", "en": "Korea 2020 (real)"},
    "source_cases":    {"ko": "이 시스템의 확진자", "en": "Cases in this system"},
    "source_cases_note": {"ko": "이 시스템에 등록된 확진자, 확진일 기준 (관할 내). "
                                "회색: 사례가 적어 추정 불확실",
                          "en": "Cases registered in this system, by confirmation date "
                                "(your jurisdiction). Grey: too few cases to tell"},
    "rt_map_title_cases": {"ko": "시·군·구별 최근 Rt", "en": "Latest Rt by district"},
    "all_cases":       {"ko": "전체", "en": "All"},
    "stable":          {"ko": "정체", "en": "stable"},
    "data_source":     {"ko": "자료: 질병관리청 발표, 코로나보드 (coronaboard.kr) 정리",
                        "en": "Data: KDCA reports, compiled by Coronaboard "
                              "(coronaboard.kr)"},
    "inv_nav":         {"ko": "역학조사", "en": "Investigations"},
    "inv_title":       {"ko": "역학조사 목록", "en": "Investigations"},
    "no_inv":          {"ko": "열린 역학조사가 없습니다.",
                        "en": "No investigations yet."},
    "investigation":   {"ko": "역학조사", "en": "Investigation"},
    "case":            {"ko": "확진자", "en": "Case"},
    "window":          {"ko": "조사 기간", "en": "Window"},
    "basis_onset":     {"ko": "증상 발현 2일 전부터", "en": "from 2 days before onset"},
    "basis_sample":    {"ko": "검체 채취 2일 전부터",
                        "en": "from 2 days before sampling"},
    "basis_given":     {"ko": "지정 기간", "en": "given window"},
    "inv_state_open":  {"ko": "진행 중", "en": "Open"},
    "inv_state_closed": {"ko": "종료", "en": "Closed"},
    "route":           {"ko": "동선", "en": "Route"},
    "route_map":       {"ko": "동선 지도", "en": "Route map"},
    "time_kst":        {"ko": "시간 (KST)", "en": "Time (KST)"},
    "place":           {"ko": "장소", "en": "Place"},
    "sources":         {"ko": "출처", "en": "Sources"},
    "confidence":      {"ko": "신뢰도", "en": "Confidence"},
    "unnamed_place":   {"ko": "미확인 장소", "en": "Unnamed place"},
    "contacts":        {"ko": "접촉자", "en": "Contacts"},
    "risk":            {"ko": "위험도", "en": "Risk"},
    "risk_high":       {"ko": "높음", "en": "High"},
    "risk_medium":     {"ko": "중간", "en": "Medium"},
    "risk_low":        {"ko": "낮음", "en": "Low"},
    "exposure":        {"ko": "노출 유형", "en": "Exposure"},
    "exp_household":   {"ko": "동거인", "en": "Household"},
    "exp_co_location": {"ko": "동일 장소 체류", "en": "Co-location"},
    "exp_venue_visit": {"ko": "시설 방문", "en": "Venue visit"},
    "exp_interview":   {"ko": "면담", "en": "Interview"},
    "minutes":         {"ko": "분", "en": "min"},
    "distance":        {"ko": "거리", "en": "Distance"},
    "requests":        {"ko": "자료 요청", "en": "Data requests"},
    "req_pending":     {"ko": "대기", "en": "Pending"},
    "req_approved":    {"ko": "승인", "en": "Approved"},
    "req_rejected":    {"ko": "반려", "en": "Rejected"},
    "requested_by":    {"ko": "요청자", "en": "Requested by"},
    "decided_by":      {"ko": "결정자", "en": "Decided by"},
    "no_route":        {"ko": "승인된 자료로 재구성한 동선이 없습니다.",
                        "en": "No route yet: rebuild it from approved data."},
    "more_contacts":   {"ko": "외 {n}명", "en": "and {n} more"},
    "degree":          {"ko": "차수", "en": "Degree"},
    "second_degree":   {"ko": "접촉자의 접촉자", "en": "Contacts of contacts"},
    "degree_1":        {"ko": "1차", "en": "1st"},
    "degree_2":        {"ko": "2차 (#{via} 접촉)", "en": "2nd (met #{via})"},
    "req_of_contacts": {"ko": "접촉자 #{ids}의 이동",
                        "en": "movements of contacts #{ids}"},
    "network_nav":     {"ko": "전파 경로", "en": "Chains"},
    "network_title":   {"ko": "전파 경로와 집단 발생",
                        "en": "Transmission chains and clusters"},
    "chain_graph":     {"ko": "추정 전파 관계 (화살표: 감염원 → 피감염자)",
                        "en": "Probable transmission (arrow: infector → infectee)"},
    "clusters":        {"ko": "집단 발생 후보", "en": "Suggested clusters"},
    "hotspots":        {"ko": "다수 확진자 방문 장소", "en": "Hot spots"},
    "cases_count":     {"ko": "확진자 수", "en": "Cases"},
    "probability":     {"ko": "확률", "en": "Probability"},
    "linked_by_district": {"ko": "시·군·구별 연결된 확진자",
                           "en": "Linked cases by district"},
    "no_links":        {"ko": "연결된 확진자가 아직 없습니다.",
                        "en": "No linked cases yet."},
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
