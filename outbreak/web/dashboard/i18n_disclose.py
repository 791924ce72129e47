"""Strings of the disclosure pages (staff review and the public site), ko and en."""

from __future__ import annotations

# fmt: off
DISCLOSE_STRINGS: dict[str, dict[str, str]] = {
    # the public site
    "pub_site": {"ko": "확진자 방문 장소 안내", "en": "Exposure places"},
    "pub_title": {
        "ko": "확진자 방문 장소 (노출 장소)",
        "en": "Places where people may have been exposed",
    },
    "pub_intro": {
        "ko": "확진자가 머문 곳 가운데 접촉자를 모두 찾지 못한 장소입니다. 해당 "
              "시간에 이곳에 있었다면 증상이 없어도 가까운 선별진료소에서 검사를 "
              "받으세요.",
        "en": "Places where a confirmed case stayed and not every contact could be "
              "identified. If you were there at that time, get tested at a screening "
              "clinic near you, even without symptoms.",
    },
    "pub_rules": {
        "ko": "성별·나이·국적·거주지·직장명은 공개하지 않으며, 한 사람의 동선이 아닌 "
              "지역별 장소 목록으로 안내합니다. 마지막 노출 후 14일이 지나면 "
              "삭제됩니다 (질병관리청 정보공개 지침, 2020. 10.).",
        "en": "Sex, age, nationality, residence and workplace are never published, "
              "and places are listed by district, never as one person's route. Each "
              "place is removed 14 days after the last exposure (KDCA disclosure "
              "guideline, Oct 2020).",
    },
    "pub_nav_places": {"ko": "노출 장소", "en": "Exposure places"},
    "pub_nav_check": {"ko": "내 동선 확인", "en": "Check my history"},
    "pub_district": {"ko": "지역", "en": "District"},
    "pub_date": {"ko": "날짜", "en": "Date"},
    "pub_all_districts": {"ko": "전체 지역", "en": "All districts"},
    "pub_all_dates": {"ko": "전체 날짜", "en": "All dates"},
    "pub_show": {"ko": "조회", "en": "Show"},
    "pub_kind": {"ko": "장소 유형", "en": "Kind"},
    "pub_name": {"ko": "상호", "en": "Name"},
    "pub_address": {"ko": "주소", "en": "Address"},
    "pub_when": {"ko": "노출 일시", "en": "Exposure (KST)"},
    "pub_disinfected": {"ko": "소독 완료", "en": "Disinfected"},
    "pub_none": {
        "ko": "현재 공개된 노출 장소가 없습니다.",
        "en": "No exposure places are published now.",
    },
    "pub_count": {"ko": "{n}곳", "en": "{n} places"},
    "pub_generated": {"ko": "기준 시각", "en": "As of"},
    "pub_subscribe": {"ko": "구독·내려받기", "en": "Subscribe / download"},
    "pub_map": {"ko": "노출 장소 지도", "en": "Map of exposure places"},
    "pub_feed_title": {"ko": "확진자 방문 장소", "en": "Exposure places"},
    "pub_withdrawn": {"ko": "공개 철회", "en": "Withdrawn"},
    "pub_check_title": {
        "ko": "내 동선 확인 (기기 안에서만)",
        "en": "Check your own history (on this device only)",
    },
    "pub_check_intro": {
        "ko": "구글 위치 기록(Google Takeout의 Records.json 또는 Semantic Location "
              "History, 타임라인 내보내기) 또는 GPX 파일을 고르세요. 파일은 이 "
              "브라우저 안에서만 읽고 공개된 노출 장소와 비교하며, 어디에도 보내지 "
              "않습니다.",
        "en": "Choose a Google location-history file (Takeout's Records.json or "
              "Semantic Location History, or a Timeline export) or a GPX file. It is "
              "read and compared with the published places inside this browser and "
              "sent nowhere.",
    },
    "pub_check_file": {"ko": "위치 기록 파일", "en": "Location-history file"},
    "pub_check_apps": {
        "ko": "앱 개발자: 해시된 시공간 구역만 보내는 POST /public/api/v1/self-check, "
              "또는 기기에서 직접 비교할 수 있는 GET "
              "/public/api/v1/self-check/buckets 를 쓰세요.",
        "en": "App developers: use POST /public/api/v1/self-check, which takes only "
              "hashed space-time buckets, or match on the device with GET "
              "/public/api/v1/self-check/buckets.",
    },
    "pub_clinics": {"ko": "선별진료소", "en": "Screening clinics"},
    # place kinds
    "kind_restaurant": {"ko": "음식점", "en": "Restaurant"},
    "kind_cafe": {"ko": "카페", "en": "Café"},
    "kind_bar_club": {"ko": "주점·클럽", "en": "Bar or club"},
    "kind_karaoke": {"ko": "노래연습장", "en": "Karaoke"},
    "kind_church": {"ko": "종교시설", "en": "Place of worship"},
    "kind_gym": {"ko": "체육시설", "en": "Gym"},
    "kind_pc_room": {"ko": "PC방", "en": "PC room"},
    "kind_call_centre": {"ko": "콜센터", "en": "Call centre"},
    "kind_hospital": {"ko": "의료기관", "en": "Hospital"},
    "kind_pharmacy": {"ko": "약국", "en": "Pharmacy"},
    "kind_screening_clinic": {"ko": "선별진료소", "en": "Screening clinic"},
    "kind_workplace": {"ko": "직장", "en": "Workplace"},
    "kind_school": {"ko": "학교", "en": "School"},
    "kind_home": {"ko": "주거지", "en": "Residence"},
    "kind_": {"ko": "미등록 장소", "en": "Unregistered place"},
    # the communicator's review
    "dis_nav": {"ko": "정보공개", "en": "Disclosure"},
    "dis_title": {"ko": "노출 장소 공개 검토", "en": "Exposure places: review"},
    "dis_intro": {
        "ko": "역학조사 동선에서 장소를 추출하고, 공개 지침의 규칙이 막은 항목과 그 "
              "이유를 보여줍니다. 검토 후 공개하세요.",
        "en": "Places are derived from investigations' routes; the disclosure rules "
              "withhold what they must and say why. Review, then publish.",
    },
    "dis_derive": {"ko": "역학조사에서 다시 추출", "en": "Derive from investigations"},
    "dis_publish": {"ko": "선택 항목 공개", "en": "Publish the ticked"},
    "dis_public_page": {"ko": "공개 페이지", "en": "Public page"},
    "dis_state_proposed": {"ko": "검토 대기", "en": "To review"},
    "dis_state_published": {"ko": "공개 중", "en": "Published"},
    "dis_state_withheld": {"ko": "규칙상 비공개", "en": "Withheld by a rule"},
    "dis_state_hidden": {"ko": "비공개 처리", "en": "Hidden"},
    "dis_state_withdrawn": {"ko": "공개 철회", "en": "Withdrawn"},
    "dis_why": {"ko": "비공개 사유", "en": "Why withheld"},
    "dis_until": {"ko": "삭제 예정", "en": "Deleted on"},
    "dis_inv": {"ko": "조사", "en": "Inv."},
    "dis_edit": {"ko": "공개 문구", "en": "Public wording"},
    "dis_save": {"ko": "저장", "en": "Save"},
    "dis_hide": {"ko": "비공개", "en": "Hide"},
    "dis_unhide": {"ko": "검토로 되돌림", "en": "Back to review"},
    "dis_withdraw": {"ko": "철회", "en": "Withdraw"},
    "dis_reason": {"ko": "사유 (10자 이상)", "en": "Reason (10+ characters)"},
    "dis_public_risk": {
        "ko": "불특정 다수 전파 우려: 직장명 공개",
        "en": "May have spread to many unknown people: publish",
    },
    "dis_identified": {"ko": "접촉자 모두 확인됨", "en": "All contacts identified"},
    "dis_not_identified": {"ko": "미확인 접촉자 있음", "en": "Contacts still unknown"},
    "dis_none": {"ko": "항목이 없습니다.", "en": "Nothing here."},
    "dis_done": {"ko": "처리되었습니다.", "en": "Done."},
    "rule_outside_window": {"ko": "조사 기간 밖", "en": "Outside the window"},
    "rule_unnamed_place": {
        "ko": "미등록 장소 (주거지일 수 있음)",
        "en": "Unregistered place (may be a home)",
    },
    "rule_residence": {"ko": "주거지", "en": "Residence"},
    "rule_workplace": {"ko": "직장·학교", "en": "Workplace or school"},
    "rule_contacts_identified": {
        "ko": "접촉자 모두 확인",
        "en": "All contacts identified",
    },
    "rule_expired": {"ko": "노출 후 14일 경과", "en": "14 days since exposure"},
    "rule_route_changed": {"ko": "동선에서 빠짐", "en": "No longer in the route"},
}
# fmt: on
