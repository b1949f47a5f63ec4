//! Korean words for realistic data: people, products, merchants. Fictional institutions only.

pub const FAMILY_NAMES: &[&str] =
    &["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권"];
pub const GIVEN_NAMES: &[&str] = &[
    "민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "주원", "지민", "예준", "수아", "지호", "채원",
    "현우", "지아", "준서", "다은", "건우", "소율",
];

pub const DEPOSIT_PRODUCTS: &[&str] =
    &["한빛 자유입출금통장", "한빛 월급통장", "든든 정기예금", "내일을 여는 적금", "청년 희망적금", "한빛 외화예금"];
pub const INVEST_PRODUCTS: &[&str] =
    &["한빛 글로벌주식 펀드", "든든 채권혼합 신탁", "한빛 신탁형 ISA", "미래 일임형 ISA"];
pub const LOAN_PRODUCTS: &[&str] =
    &["직장인 신용대출", "한빛 주택담보대출", "전세자금대출", "마이너스 통장대출", "보금자리론", "학자금대출"];
pub const INSURANCE_LOAN_PRODUCTS: &[&str] = &["보험계약대출", "약관대출", "보험계약대출(확정금리형)"];
pub const CAPITAL_PRODUCTS: &[&str] = &["신차 오토할부", "중고차 할부금융", "운용리스(승용)", "개인 신용대출"];
pub const CARD_NAMES: &[&str] =
    &["한빛 플래티넘 카드", "한빛 체크카드", "모두의 포인트 카드", "트래블 마스터 카드", "생활의 발견 카드"];
pub const INSURANCE_PRODUCTS: &[&str] =
    &["든든 종신보험", "무배당 실손의료보험", "한빛 암보험", "개인용 자동차보험", "어린이 종합보험", "연금저축보험"];
pub const GUARANTEE_PRODUCTS: &[&str] = &["전세보증금반환보증보험", "이행(계약)보증보험", "신원보증보험"];
pub const PREPAID_NAMES: &[&str] = &["한빛페이 머니", "모두페이 포인트", "교통 선불카드", "기프트 선불카드"];
pub const IRP_PRODUCTS: &[&str] = &["개인형 IRP", "개인형 IRP(연금)"];
pub const MERCHANTS: &[&str] = &[
    "스타벅스 강남점",
    "이마트 성수점",
    "GS25 역삼점",
    "CU 서초점",
    "올리브영 명동점",
    "교보문고 광화문점",
    "배달의민족",
    "쿠팡",
    "카카오택시",
    "CGV 용산",
    "김밥천국 신촌점",
    "롯데마트 잠실점",
    "다이소 홍대점",
    "한솥도시락 종로점",
];
pub const OVERSEAS_MERCHANTS: &[&str] = &["AMAZON.COM", "APPLE.COM/BILL", "UNIQLO TOKYO", "HOTEL NIKKO", "NETFLIX.COM"];
pub const POINT_NAMES: &[&str] = &["한빛포인트", "마일리지", "캐시백 포인트"];
pub const CAR_NAMES: &[&str] = &["쏘나타", "아반떼", "그랜저", "K5", "투싼", "스포티지"];
pub const MEMOS: &[&str] = &["월급", "관리비", "용돈", "적금이체", "카드대금", "통신요금", "보험료", "이자"];
pub const COVERAGES: &[&str] = &["상해사망", "질병입원일당", "암진단비", "뇌혈관질환진단비", "실손입원의료비"];
pub const PAY_TITLES: &[&str] = &["음원 스트리밍 이용권", "모바일 게임 아이템", "웹툰 코인", "클라우드 저장공간"];
