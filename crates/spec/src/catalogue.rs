//! Chapter 4 as one typed table: every API of the standard with its route, scope and periodic class.
//!
//! What the table does not say by hand — whether an API pages, takes `search_timestamp` or a date
//! range, which resource key it takes — is read from the transcribed field definitions
//! ([`crate::fields`]), so the two cannot drift apart.

use crate::fields::{self, ApiFields};
use crate::industry::Industry;
use std::fmt;

/// Which part of the standard an API belongs to (ch.4.1, 4.2, 4.3.1, 4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// 개별인증 / 통합인증: served by providers under `/oauth/2.0/`.
    Auth,
    /// 정보제공 API: served by providers under `/v1/<industry>/`.
    Info,
    /// 지원-001..006: served by the integrated portal.
    PortalSupport,
    /// 지원-101..104: served by providers and operators, called by the portal.
    ParticipantSupport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 정기적 전송주기 (ch.3.3.1): 기본 (rarely changing data) or 추가 (balances, transactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Periodic {
    Basic,
    Additional,
}

impl Periodic {
    pub const fn korean(self) -> &'static str {
        match self {
            Periodic::Basic => "기본",
            Periodic::Additional => "추가",
        }
    }
}

/// The scope an API requires (ch.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeRule {
    /// No access token at all (공통-001, the token endpoints themselves).
    None,
    /// `<industry>.list`: the asset lists and 공통-002, granted with every consent (ch.2.2).
    List,
    /// `<industry>.<suffix>` for one kind of asset's details, e.g. `bank.deposit`.
    Industry(&'static str),
    /// The fixed support-API scope `manage`.
    Manage,
}

/// The suffix of the list scope (`bank.list`).
const LIST_SCOPE: &str = "list";

/// The support-API scope (ch.7).
pub const MANAGE_SCOPE: &str = "manage";

/// What every support API's path (ch.7, 지원-001..104) begins with, and no other API's.
pub const SUPPORT_PATH_PREFIX: &str = "/mgmts/";

/// `<industry>.list`, the scope every consent at `industry` carries (ch.2.2).
pub fn list_scope(industry: Industry) -> String {
    format!("{industry}.{LIST_SCOPE}")
}

/// Whether `scope` is some industry's list scope (`bank.list`, `card.list`, …).
pub fn is_list_scope(scope: &str) -> bool {
    scope.split_once('.').is_some_and(|(industry, suffix)| suffix == LIST_SCOPE && industry.parse::<Industry>().is_ok())
}

/// What an information API *is*: how its answer is made, read from the field data (ch.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKind {
    /// 공통-001: the APIs the provider offers, from the catalogue; no token.
    ApiList,
    /// 공통-002: the consent behind the access token.
    ConsentDetail,
    /// The customer's assets at the provider, each item marked `is_consent` (은행-001, 카드-001, …).
    AssetList,
    /// One stored answer about one asset or the customer (은행-002, 카드-003, 통신-002, …).
    Document,
    /// Rows of one asset's (or the customer's) history or items, paged or bounded by a period, after
    /// the top-level fields of the subject's document when `with_document` (금투-004's base_date).
    Rows { with_document: bool },
    /// Not an information API: authorization and support APIs.
    NotInformation,
}

/// The unit of an API's from/to period (ch.3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodUnit {
    /// `from_date`/`to_date`.
    Days,
    /// `from_month`/`to_month`.
    Months,
}

/// APIs the servers and the client single out by role rather than by their data: each names one
/// catalogue row, looked up with [`KnownApi::spec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnownApi {
    /// 개별인증-001.
    Authorize,
    /// 개별인증-002.
    IssueToken,
    /// 개별인증-003.
    RefreshToken,
    /// 개별인증-004.
    RevokeToken,
    /// 통합인증-002.
    IntegratedToken,
    /// 공통-001.
    ApiList,
    /// 공통-002.
    Consents,
    /// 지원-001.
    PortalToken,
    /// 지원-002.
    PortalOrgs,
    /// 지원-003.
    PortalServices,
    /// 지원-004.
    OperatorStatistics,
    /// 지원-005.
    ProviderStatistics,
    /// 지원-006.
    PortalOrgsForCa,
    /// 지원-101.
    ParticipantToken,
    /// 지원-102.
    ParticipantStatus,
    /// 지원-103.
    ParticipantConsents,
    /// 지원-104.
    StatisticsResend,
    /// IRP-001: IRP accounts, whose products and transactions are a pension's.
    IrpAccounts,
    /// 카드-001: the cards that approvals (카드-008/009) and bills are about.
    CardList,
    /// 카드-004: monthly bills, the sums of the approvals they charge.
    CardBills,
    /// 카드-005: a bill's details, one per charged approval.
    CardBillDetails,
    /// 카드-006: payments due, from the bills.
    CardPayments,
    /// 카드-008: domestic approvals.
    CardDomesticApprovals,
    /// 카드-009: overseas approvals (foreign merchants).
    CardOverseasApprovals,
    /// 전금-103: payments with their own transaction types (6xxx).
    EfinPayments,
    /// 보험-008: an insurer's loans.
    InsuranceLoans,
    /// 은행-001: a bank's accounts (deposits, savings, investments, loans).
    BankAccounts,
}

impl KnownApi {
    pub const fn id(self) -> &'static str {
        match self {
            KnownApi::Authorize => "개별인증-001",
            KnownApi::IssueToken => "개별인증-002",
            KnownApi::RefreshToken => "개별인증-003",
            KnownApi::RevokeToken => "개별인증-004",
            KnownApi::IntegratedToken => "통합인증-002",
            KnownApi::ApiList => "공통-001",
            KnownApi::Consents => "공통-002",
            KnownApi::PortalToken => "지원-001",
            KnownApi::PortalOrgs => "지원-002",
            KnownApi::PortalServices => "지원-003",
            KnownApi::OperatorStatistics => "지원-004",
            KnownApi::ProviderStatistics => "지원-005",
            KnownApi::PortalOrgsForCa => "지원-006",
            KnownApi::ParticipantToken => "지원-101",
            KnownApi::ParticipantStatus => "지원-102",
            KnownApi::ParticipantConsents => "지원-103",
            KnownApi::StatisticsResend => "지원-104",
            KnownApi::IrpAccounts => "IRP-001",
            KnownApi::CardList => "카드-001",
            KnownApi::CardBills => "카드-004",
            KnownApi::CardBillDetails => "카드-005",
            KnownApi::CardPayments => "카드-006",
            KnownApi::CardDomesticApprovals => "카드-008",
            KnownApi::CardOverseasApprovals => "카드-009",
            KnownApi::EfinPayments => "전금-103",
            KnownApi::InsuranceLoans => "보험-008",
            KnownApi::BankAccounts => "은행-001",
        }
    }

    /// Whether `id` (a stored row's API ID, say) is this API's.
    pub fn names(self, id: &str) -> bool {
        self.id() == id
    }

    /// The catalogue row; every variant's row is checked by this module's tests.
    pub fn spec(self) -> &'static ApiSpec {
        api(self.id()).unwrap_or_else(|| panic!("{} is in the catalogue", self.id()))
    }

    /// The known API `id` names, if any (a statistics report's `지원-004`, say).
    pub fn from_id(id: &str) -> Option<KnownApi> {
        KnownApi::ALL.into_iter().find(|k| k.id() == id)
    }

    pub const ALL: [KnownApi; 27] = [
        KnownApi::Authorize,
        KnownApi::IssueToken,
        KnownApi::RefreshToken,
        KnownApi::RevokeToken,
        KnownApi::IntegratedToken,
        KnownApi::ApiList,
        KnownApi::Consents,
        KnownApi::PortalToken,
        KnownApi::PortalOrgs,
        KnownApi::PortalServices,
        KnownApi::OperatorStatistics,
        KnownApi::ProviderStatistics,
        KnownApi::PortalOrgsForCa,
        KnownApi::ParticipantToken,
        KnownApi::ParticipantStatus,
        KnownApi::ParticipantConsents,
        KnownApi::StatisticsResend,
        KnownApi::IrpAccounts,
        KnownApi::CardList,
        KnownApi::CardBills,
        KnownApi::CardBillDetails,
        KnownApi::CardPayments,
        KnownApi::CardDomesticApprovals,
        KnownApi::CardOverseasApprovals,
        KnownApi::EfinPayments,
        KnownApi::InsuranceLoans,
        KnownApi::BankAccounts,
    ];
}

/// One API of the standard.
#[derive(Debug)]
pub struct ApiSpec {
    /// The API ID as chapter 4 writes it, without the `정보제공-` prefix, e.g. `은행-004`.
    pub id: &'static str,
    pub name: &'static str,
    pub group: Group,
    /// Industries that serve it (empty for auth and support APIs).
    pub industries: &'static [Industry],
    pub method: Method,
    /// The `<resource>` part of the URI for information APIs; the whole path otherwise.
    pub resource: &'static str,
    pub scope: ScopeRule,
    pub periodic: Option<Periodic>,
    /// 첨부12 API 구분 코드, where the standard assigns one.
    pub api_code: Option<&'static str>,
}

/// Every version segment this implementation serves.
pub const VERSION: &str = "v1";

use Industry::*;
const ALL_INDUSTRIES: &[Industry] = &Industry::ALL;
const IRP_INDUSTRIES: &[Industry] = &[Bank, Invest, Insu];
const PREPAID_INDUSTRIES: &[Industry] = &[Bank, Card];
const BOND_INDUSTRIES: &[Industry] = &[Bond, Usury];

const fn auth(id: &'static str, name: &'static str, method: Method, path: &'static str, code: &'static str) -> ApiSpec {
    ApiSpec {
        id,
        name,
        group: Group::Auth,
        industries: &[],
        method,
        resource: path,
        scope: ScopeRule::None,
        periodic: None,
        api_code: Some(code),
    }
}

// One catalogue row per call; positional arguments keep the table readable as a table.
#[allow(clippy::too_many_arguments)]
const fn info(
    id: &'static str,
    name: &'static str,
    industries: &'static [Industry],
    method: Method,
    resource: &'static str,
    scope: &'static str,
    periodic: Periodic,
    code: &'static str,
) -> ApiSpec {
    ApiSpec {
        id,
        name,
        group: Group::Info,
        industries,
        method,
        resource,
        scope: if matches!(scope.as_bytes(), [b'l', b'i', b's', b't']) {
            ScopeRule::List
        } else {
            ScopeRule::Industry(scope)
        },
        periodic: Some(periodic),
        api_code: Some(code),
    }
}

const fn support(
    id: &'static str,
    name: &'static str,
    group: Group,
    method: Method,
    path: &'static str,
    scope: ScopeRule,
) -> ApiSpec {
    ApiSpec { id, name, group, industries: &[], method, resource: path, scope, periodic: None, api_code: None }
}

use Method::{Get as G, Post as P};
use Periodic::{Additional as ADD, Basic as BAS};

/// The whole of chapter 4.
#[rustfmt::skip]
/// One value per catalogue row, in the catalogue's order, worked out on first use.
pub(crate) type Memo<T> = std::sync::LazyLock<Vec<T>>;

pub static CATALOGUE: &[ApiSpec] = &[
    auth("개별인증-001", "인가코드 발급 요청", G, "/oauth/2.0/authorize", "AU01"),
    auth("개별인증-002", "접근토큰 발급 요청", P, "/oauth/2.0/token", "AU02"),
    auth("개별인증-003", "접근토큰 갱신", P, "/oauth/2.0/token", "AU03"),
    auth("개별인증-004", "접근토큰 폐기", P, "/oauth/2.0/revoke", "AU04"),
    auth("통합인증-002", "접근토큰 발급 요청(정보제공자 제공)", P, "/oauth/2.0/token", "AU11"),
    // 공통-001 is the one information API without a token or a version (ch.4.2.1, ch.6.1.1).
    ApiSpec {
        id: "공통-001",
        name: "API 목록 조회",
        group: Group::Info,
        industries: ALL_INDUSTRIES,
        method: G,
        resource: "/apis",
        scope: ScopeRule::None,
        periodic: Some(BAS),
        api_code: Some("CM01"),
    },
    info("공통-002", "전송요구 내역 조회", ALL_INDUSTRIES, G, "/consents", "list", BAS, "CM02"),
    info("IRP-001", "개인형 IRP 계좌 목록 조회", IRP_INDUSTRIES, G, "/irps", "list", BAS, "IR01"),
    info("IRP-002", "개인형 IRP 계좌 기본정보 조회", IRP_INDUSTRIES, P, "/irps/basic", "irp", BAS, "IR02"),
    info("IRP-003", "개인형 IRP 계좌 추가정보 조회", IRP_INDUSTRIES, P, "/irps/detail", "irp", ADD, "IR03"),
    info("IRP-004", "개인형 IRP 계좌 거래내역 조회", IRP_INDUSTRIES, P, "/irps/transactions", "irp", ADD, "IR04"),
    info("선불-001", "선불카드 목록 조회", PREPAID_INDUSTRIES, G, "/prepaid", "list", BAS, "PP01"),
    info("선불-002", "선불카드 잔액정보 조회", PREPAID_INDUSTRIES, P, "/prepaid/balance", "prepaid", ADD, "PP02"),
    info("선불-003", "선불카드 거래내역 조회", PREPAID_INDUSTRIES, P, "/prepaid/transactions", "prepaid", ADD, "PP03"),
    info(
        "선불-004",
        "선불카드 승인내역(결제내역) 조회",
        PREPAID_INDUSTRIES,
        P,
        "/prepaid/approval",
        "prepaid",
        ADD,
        "PP04",
    ),
    info("채권-001", "인수채권/금전대부 목록 조회", BOND_INDUSTRIES, G, "/bonds", "list", BAS, "BD01"),
    info("채권-002", "인수채권/금전대부 잔액정보 조회", BOND_INDUSTRIES, P, "/bonds/detail", "bond", ADD, "BD02"),
    info("채권-003", "인수채권/금전대부 거래내역 조회", BOND_INDUSTRIES, P, "/bonds/transactions", "bond", ADD, "BD03"),
    info("은행-001", "계좌 목록 조회", &[Bank], G, "/accounts", "list", BAS, "BA01"),
    info("은행-002", "수신계좌 기본정보 조회", &[Bank], P, "/accounts/deposit/basic", "deposit", BAS, "BA02"),
    info("은행-003", "수신계좌 추가정보 조회", &[Bank], P, "/accounts/deposit/detail", "deposit", ADD, "BA03"),
    info("은행-004", "수신계좌 거래내역 조회", &[Bank], P, "/accounts/deposit/transactions", "deposit", ADD, "BA04"),
    info("은행-005", "투자상품계좌 기본정보 조회", &[Bank], P, "/accounts/invest/basic", "invest", BAS, "BA11"),
    info("은행-006", "투자상품계좌 추가정보 조회", &[Bank], P, "/accounts/invest/detail", "invest", ADD, "BA12"),
    info("은행-007", "투자상품계좌 거래내역 조회", &[Bank], P, "/accounts/invest/transactions", "invest", ADD, "BA13"),
    info("은행-008", "대출상품계좌 기본정보 조회", &[Bank], P, "/accounts/loan/basic", "loan", BAS, "BA21"),
    info("은행-009", "대출상품계좌 추가정보 조회", &[Bank], P, "/accounts/loan/detail", "loan", ADD, "BA22"),
    info("은행-010", "대출상품계좌 거래내역 조회", &[Bank], P, "/accounts/loan/transactions", "loan", ADD, "BA23"),
    info("카드-001", "카드 목록 조회", &[Card], G, "/cards", "list", BAS, "CD01"),
    info("카드-002", "카드 기본정보 조회", &[Card], G, "/cards/{card_id}", "card", BAS, "CD02"),
    info("카드-003", "포인트 정보 조회", &[Card], G, "/points", "point", ADD, "CD11"),
    info("카드-004", "청구 기본정보 조회", &[Card], G, "/bills", "bill", BAS, "CD21"),
    info("카드-005", "청구 추가정보 조회", &[Card], G, "/bills/detail", "bill", BAS, "CD22"),
    info("카드-006", "결제정보 조회", &[Card], G, "/payments", "bill", ADD, "CD23"),
    info("카드-007", "리볼빙 정보 조회", &[Card], G, "/payments/revolving", "bill", ADD, "CD24"),
    info("카드-008", "국내 승인내역 조회", &[Card], G, "/cards/{card_id}/approval-domestic", "card", ADD, "CD03"),
    info("카드-009", "해외 승인내역 조회", &[Card], G, "/cards/{card_id}/approval-overseas", "card", ADD, "CD04"),
    info("카드-010", "대출상품 목록 조회", &[Card], G, "/loans", "loan", BAS, "CD31"),
    info("카드-011", "단기대출 정보 조회", &[Card], G, "/loans/short-term", "loan", ADD, "CD32"),
    info("카드-012", "장기대출 정보 조회", &[Card], G, "/loans/long-term", "loan", ADD, "CD33"),
    info("금투-001", "계좌 목록 조회", &[Invest], G, "/accounts", "list", BAS, "IV01"),
    info("금투-002", "계좌 기본정보 조회", &[Invest], P, "/accounts/basic", "account", ADD, "IV02"),
    info("금투-003", "계좌 거래내역 조회", &[Invest], P, "/accounts/transactions", "account", ADD, "IV03"),
    info("금투-004", "계좌 상품정보 조회", &[Invest], P, "/accounts/products", "account", ADD, "IV04"),
    info("금투-005", "연금계좌 추가정보 조회", &[Invest], P, "/accounts/pension", "account", ADD, "IV05"),
    info("보험-001", "보험 목록 조회", &[Insu], G, "/insurances", "list", BAS, "IS01"),
    info("보험-002", "보험 기본정보 조회", &[Insu], P, "/insurances/basic", "insurance", BAS, "IS02"),
    info("보험-003", "보험 특약정보 조회", &[Insu], P, "/insurances/contracts", "insurance", BAS, "IS03"),
    info("보험-004", "자동차보험 정보 조회", &[Insu], P, "/insurances/car", "insurance", BAS, "IS04"),
    info("보험-005", "보험 납입정보 조회", &[Insu], P, "/insurances/payment", "insurance", BAS, "IS05"),
    info("보험-006", "보험 거래내역 조회", &[Insu], P, "/insurances/transactions", "insurance", ADD, "IS06"),
    info("보험-007", "자동차보험 거래내역 조회", &[Insu], P, "/insurances/car/transactions", "insurance", ADD, "IS07"),
    info("보험-008", "대출상품 목록 조회", &[Insu], G, "/loans", "list", BAS, "IS11"),
    info("보험-009", "대출상품 기본정보 조회", &[Insu], P, "/loans/basic", "loan", BAS, "IS12"),
    info("보험-010", "대출상품 추가정보 조회", &[Insu], P, "/loans/detail", "loan", ADD, "IS13"),
    info("보험-011", "대출상품 거래내역 조회", &[Insu], P, "/loans/transactions", "loan", ADD, "IS14"),
    info("보험-012", "보험 보장정보 조회", &[Insu], P, "/insurances/coverages", "insurance", ADD, "IS08"),
    info("전금-001", "선불전자지급수단 목록 조회", &[Efin], G, "/prepaid", "list", BAS, "EF01"),
    info("전금-002", "선불전자지급수단 잔액정보 조회", &[Efin], P, "/prepaid/balance", "prepaid", ADD, "EF02"),
    info("전금-003", "선불전자지급수단 자동충전정보 조회", &[Efin], P, "/prepaid/charge", "prepaid", BAS, "EF03"),
    info("전금-004", "선불 거래내역 조회", &[Efin], P, "/prepaid/transactions", "prepaid", ADD, "EF04"),
    info("전금-101", "계정 목록 조회", &[Efin], G, "/paid", "list", BAS, "EF11"),
    info("전금-102", "결제수단 등록 정보 조회", &[Efin], P, "/paid/methods", "paid", BAS, "EF12"),
    info("전금-103", "결제내역 조회", &[Efin], P, "/paid/transactions", "paid", ADD, "EF13"),
    info("할부금융-001", "계좌 목록 조회", &[Capital], G, "/loans", "list", BAS, "CP01"),
    info("할부금융-002", "대출상품계좌 기본정보 조회", &[Capital], P, "/loans/basic", "loan", BAS, "CP02"),
    info("할부금융-003", "대출상품계좌 추가정보 조회", &[Capital], P, "/loans/detail", "loan", ADD, "CP03"),
    info("할부금융-004", "대출상품계좌 거래내역 조회", &[Capital], P, "/loans/transactions", "loan", ADD, "CP04"),
    info("할부금융-005", "운용리스 기본정보 조회", &[Capital], P, "/loans/oplease/basic", "loan", BAS, "CP05"),
    info("할부금융-006", "운용리스 거래내역 조회", &[Capital], P, "/loans/oplease/transactions", "loan", ADD, "CP06"),
    info("보증보험-001", "보증보험 목록 조회", &[Ginsu], G, "/insurances", "list", BAS, "GI01"),
    info("보증보험-002", "보증보험 기본정보 조회", &[Ginsu], P, "/insurances/basic", "insurance", BAS, "GI02"),
    info("보증보험-003", "보증보험 거래내역 조회", &[Ginsu], P, "/insurances/transactions", "insurance", ADD, "GI03"),
    info("통신-001", "통신 계약 목록 조회", &[Telecom], G, "/telecoms", "list", BAS, "TC01"),
    info("통신-002", "청구 정보 조회", &[Telecom], P, "/telecoms/bills", "mgmt", ADD, "TC02"),
    info("통신-003", "통신 거래내역(납입내역) 조회", &[Telecom], P, "/telecoms/transactions", "mgmt", ADD, "TC03"),
    info("통신-004", "통신 결제내역 조회", &[Telecom], P, "/telecoms/paid-transactions", "mgmt", ADD, "TC04"),
    info("P2P-001", "P2P 대출 목록 조회", &[P2p], G, "/lendings", "list", BAS, "LD01"),
    info("P2P-002", "P2P 대출 기본정보 조회", &[P2p], P, "/lendings/basic", "lending", BAS, "LD02"),
    info("P2P-003", "P2P 대출 추가정보 조회", &[P2p], P, "/lendings/detail", "lending", ADD, "LD03"),
    info("P2P-004", "P2P 대출 거래내역 조회", &[P2p], P, "/lendings/transactions", "lending", ADD, "LD04"),
    support("지원-001", "접근토큰 발급", Group::PortalSupport, P, "/mgmts/oauth/2.0/token", ScopeRule::None),
    support("지원-002", "기관정보 조회", Group::PortalSupport, G, "/mgmts/orgs", ScopeRule::Manage),
    support("지원-003", "서비스정보 조회", Group::PortalSupport, G, "/mgmts/services", ScopeRule::Manage),
    support(
        "지원-004",
        "마이데이터사업자/정보수신자 통계자료 전송",
        Group::PortalSupport,
        P,
        "/mgmts/statistics/mydata",
        ScopeRule::Manage,
    ),
    support(
        "지원-005",
        "정보제공자 통계자료 전송",
        Group::PortalSupport,
        P,
        "/mgmts/statistics/provider",
        ScopeRule::Manage,
    ),
    support(
        "지원-006",
        "통합인증기관용 기관정보 조회",
        Group::PortalSupport,
        G,
        "/mgmts/orgs_for_ca",
        ScopeRule::Manage,
    ),
    support("지원-101", "접근토큰 발급", Group::ParticipantSupport, P, "/mgmts/oauth/2.0/token", ScopeRule::None),
    support("지원-102", "정보제공자 상태 조회", Group::ParticipantSupport, G, "/mgmts/status", ScopeRule::Manage),
    support(
        "지원-103",
        "정보주체 별 전송요구 내역 조회",
        Group::ParticipantSupport,
        P,
        "/mgmts/consents",
        ScopeRule::Manage,
    ),
    support(
        "지원-104",
        "통계자료 재전송 요청",
        Group::ParticipantSupport,
        G,
        "/mgmts/req-statistics",
        ScopeRule::Manage,
    ),
];

/// Request fields that name the one asset an API is about (ch.6).
const RESOURCE_KEYS: &[&str] =
    &["account_num", "card_id", "pp_id", "bond_num", "fob_id", "sub_key", "insu_num", "mgmt_id", "lending_id"];

impl ApiSpec {
    /// The transcribed fields of this API.
    pub fn fields(&self) -> &'static ApiFields {
        // Every ID in the table is checked against the data by `catalogue_and_fields_agree`.
        fields::fields(self.id).unwrap_or_else(|| panic!("no field data for {}", self.id))
    }

    /// The path a provider serves for `industry`, e.g. `/v1/bank/accounts`.
    pub fn path(&self, industry: Industry) -> String {
        match (self.group, self.scope) {
            (Group::Info, ScopeRule::None) => format!("/{industry}{}", self.resource),
            (Group::Info, _) => format!("/{VERSION}/{industry}{}", self.resource),
            _ => self.resource.to_owned(),
        }
    }

    /// The scope an access token needs for this API at `industry`, e.g. `bank.deposit`.
    pub fn scope_for(&self, industry: Industry) -> Option<String> {
        match self.scope {
            ScopeRule::None => None,
            ScopeRule::List => Some(list_scope(industry)),
            ScopeRule::Industry(suffix) => Some(format!("{industry}.{suffix}")),
            ScopeRule::Manage => Some(MANAGE_SCOPE.to_owned()),
        }
    }

    /// Whether this is the API `known` names.
    pub fn is(&self, known: KnownApi) -> bool {
        self.id == known.id()
    }

    fn takes(&self, name: &str) -> bool {
        self.fields().request_field(name).is_some()
    }

    /// Whether the API pages with `next_page`/`limit` (ch.2.1).
    pub fn pages(&self) -> bool {
        self.takes("next_page")
    }

    /// Whether the API takes `search_timestamp` (ch.2.1).
    pub fn takes_search_timestamp(&self) -> bool {
        self.takes("search_timestamp")
    }

    /// Whether the API takes a day range (`from_date`/`to_date`).
    pub fn takes_date_range(&self) -> bool {
        self.takes("from_date")
    }

    /// Whether the API takes a month range (`from_month`/`to_month`).
    pub fn takes_month_range(&self) -> bool {
        self.takes("from_month")
    }

    /// The request field naming the asset this API is about, if any.
    pub fn resource_key(&self) -> Option<&'static str> {
        let fields = self.fields();
        RESOURCE_KEYS.iter().copied().find(|k| fields.request_field(k).is_some())
    }

    /// The unit of the API's from/to period, if it takes one.
    pub fn period_unit(&self) -> Option<PeriodUnit> {
        if self.takes_date_range() {
            Some(PeriodUnit::Days)
        } else if self.takes_month_range() {
            Some(PeriodUnit::Months)
        } else {
            None
        }
    }

    /// The asset-list API whose items this API's resource key names: the list API under the same
    /// first path segment (`/accounts/deposit/basic` → `/accounts`).
    pub fn asset_list(&self, industry: Industry) -> Option<&'static ApiSpec> {
        self.resource_key()?;
        let segment = self.resource.split('/').nth(1)?;
        info_apis(industry).find(|a| a.kind() == ApiKind::AssetList && a.resource.trim_start_matches('/') == segment)
    }

    /// The asset list this API is about: itself for an asset list, else the list its key names.
    pub fn about_list(&'static self, industry: Industry) -> Option<&'static ApiSpec> {
        if self.kind() == ApiKind::AssetList { Some(self) } else { self.asset_list(industry) }
    }

    /// The APIs of `industry` that describe the assets of this asset list (by resource key).
    pub fn detail_apis(&'static self, industry: Industry) -> impl Iterator<Item = &'static ApiSpec> {
        info_apis(industry).filter(move |a| a.asset_list(industry).is_some_and(|list| std::ptr::eq(list, self)))
    }

    /// What this API is, read from the field data.
    pub fn kind(&self) -> ApiKind {
        static KINDS: Memo<ApiKind> = Memo::new(|| CATALOGUE.iter().map(ApiSpec::kind_from_fields).collect());
        self.memoized(&KINDS, ApiSpec::kind_from_fields)
    }

    /// `compute(self)`, read from `memo` when this is a row of the catalogue: what every call a
    /// server answers asks several times is worked out from the field data once per API.
    pub(crate) fn memoized<T: Copy>(&self, memo: &Memo<T>, compute: fn(&ApiSpec) -> T) -> T {
        // The row's place in the catalogue, from its address (every ApiSpec code holds is a row of it).
        let offset = (self as *const ApiSpec as usize).wrapping_sub(CATALOGUE.as_ptr() as usize);
        let index = offset / std::mem::size_of::<ApiSpec>();
        match memo.get(index) {
            Some(value) if offset.is_multiple_of(std::mem::size_of::<ApiSpec>()) => *value,
            _ => compute(self),
        }
    }

    fn kind_from_fields(&self) -> ApiKind {
        if self.group != Group::Info {
            return ApiKind::NotInformation;
        }
        if self.is(KnownApi::ApiList) {
            return ApiKind::ApiList;
        }
        if self.is(KnownApi::Consents) {
            return ApiKind::ConsentDetail;
        }
        let list = crate::subject::list_fields(self);
        let marks_consent = list.is_some_and(|(l, _)| l.children.iter().any(|c| c.name == "is_consent"));
        if self.resource_key().is_none() && marks_consent {
            return ApiKind::AssetList;
        }
        let rows = list.is_some() && (self.pages() || self.period_unit().is_some());
        if rows {
            ApiKind::Rows { with_document: crate::subject::has_document_fields(self) }
        } else {
            ApiKind::Document
        }
    }

    /// Whether the answer is made from stored information data (an asset list, a document, rows).
    pub fn serves_stored_data(&self) -> bool {
        matches!(self.kind(), ApiKind::AssetList | ApiKind::Document | ApiKind::Rows { .. })
    }

    /// The longest from/to span a scheduled (periodic) call may ask for, in days (ch.3.3.2):
    /// three months for month ranges and for the day-range APIs the standard excepts, else 31 days.
    pub fn scheduled_max_days(&self) -> u32 {
        const THREE_MONTHS: &[&str] = &[
            "은행-010",
            "보험-006",
            "보험-007",
            "보험-011",
            "할부금융-004",
            "할부금융-006",
            "보증보험-003",
            "P2P-004",
            "채권-003",
        ];
        if self.takes_month_range() || THREE_MONTHS.contains(&self.id) { 93 } else { 31 }
    }
}

/// Looks an API up by its ID (as a caller or a file names it; code names APIs by [`KnownApi`] or by
/// what they are).
pub fn api(id: &str) -> Option<&'static ApiSpec> {
    CATALOGUE.iter().find(|a| a.id == id)
}

/// The information APIs an industry serves, in catalogue order.
pub fn info_apis(industry: Industry) -> impl Iterator<Item = &'static ApiSpec> {
    CATALOGUE.iter().filter(move |a| a.group == Group::Info && a.industries.contains(&industry))
}

/// APIs of one group, in catalogue order.
pub fn group(group: Group) -> impl Iterator<Item = &'static ApiSpec> {
    CATALOGUE.iter().filter(move |a| a.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The API IDs of chapter 4, read from its text exactly as `fields-v1/check.py` does.
    fn chapter4_ids() -> HashSet<String> {
        let text = include_str!("../data/standard-api-list.md");
        let mut ids = HashSet::new();
        for cell in text.split('|').map(str::trim) {
            let id = cell.strip_prefix("정보제공-").unwrap_or(cell);
            let Some((prefix, number)) = id.rsplit_once('-') else { continue };
            if number.len() == 3
                && number.bytes().all(|b| b.is_ascii_digit())
                && !prefix.is_empty()
                && prefix.chars().all(|c| c.is_alphanumeric())
            {
                ids.insert(id.to_owned());
            }
        }
        ids
    }

    #[test]
    fn the_support_apis_and_only_they_are_under_the_support_prefix() {
        for api in CATALOGUE {
            let support = matches!(api.group, Group::PortalSupport | Group::ParticipantSupport);
            assert_eq!(api.resource.starts_with(SUPPORT_PATH_PREFIX), support, "{}: {}", api.id, api.resource);
        }
    }

    #[test]
    fn catalogue_has_every_chapter4_id_and_nothing_else() {
        let seed = chapter4_ids();
        assert_eq!(seed.len(), 91, "chapter 4 lists 91 APIs");
        let ours: HashSet<String> = CATALOGUE.iter().map(|a| a.id.to_owned()).collect();
        assert_eq!(ours.len(), CATALOGUE.len(), "an ID appears twice in the catalogue");
        let missing: Vec<_> = seed.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&seed).collect();
        assert!(missing.is_empty(), "missing from the catalogue: {missing:?}");
        assert!(extra.is_empty(), "not in chapter 4: {extra:?}");
    }

    #[test]
    fn catalogue_and_fields_agree() {
        for api in CATALOGUE {
            let f = api.fields();
            assert_eq!(f.method, api.method.as_str(), "{}", api.id);
            assert_eq!(f.uri, api.resource, "{}", api.id);
            let industries: Vec<&str> = api.industries.iter().map(|i| i.as_str()).collect();
            assert_eq!(f.industries, industries, "{}", api.id);
        }
    }

    #[test]
    fn method_path_and_industry_identify_one_api() {
        let mut seen = HashSet::new();
        for api in group(Group::Info) {
            for &industry in api.industries {
                assert!(
                    seen.insert((api.method, api.path(industry))),
                    "{} {} at {industry} collides",
                    api.method,
                    api.path(industry)
                );
            }
        }
        // The token endpoint is shared by three auth APIs and told apart by grant_type; the
        // support APIs share paths between portal and participants, which are different servers.
        for group_apis in [Group::PortalSupport, Group::ParticipantSupport] {
            let mut paths = HashSet::new();
            for api in group(group_apis) {
                assert!(paths.insert((api.method, api.resource)), "{}", api.id);
            }
        }
    }

    #[test]
    fn info_api_count_matches_chapter4() {
        assert_eq!(group(Group::Info).count(), 76);
        assert_eq!(group(Group::Auth).count(), 5);
        assert_eq!(group(Group::PortalSupport).count(), 6);
        assert_eq!(group(Group::ParticipantSupport).count(), 4);
    }

    #[test]
    fn scopes_follow_chapter2() {
        let deposit = api("은행-002").unwrap();
        assert_eq!(deposit.scope_for(Bank).as_deref(), Some("bank.deposit"));
        let irp = api("IRP-003").unwrap();
        assert_eq!(irp.scope_for(Invest).as_deref(), Some("invest.irp"));
        assert_eq!(api("공통-002").unwrap().scope_for(Telecom).as_deref(), Some("telecom.list"));
        assert_eq!(api("공통-001").unwrap().scope_for(Bank), None);
        assert_eq!(api("지원-102").unwrap().scope_for(Bank).as_deref(), Some("manage"));
        // Every industry's asset-list APIs need the list scope.
        for industry in Industry::ALL {
            assert!(info_apis(industry).any(|a| a.scope == ScopeRule::List && a.kind() == ApiKind::AssetList));
        }
    }

    #[test]
    fn kinds_are_derived_from_the_fields() {
        let of = |id| api(id).unwrap().kind();
        assert_eq!(of("은행-001"), ApiKind::AssetList);
        assert_eq!(of("IRP-001"), ApiKind::AssetList);
        assert!(api("은행-001").unwrap().pages());
        assert_eq!(of("은행-002"), ApiKind::Document);
        assert_eq!(of("카드-003"), ApiKind::Document);
        assert_eq!(of("카드-010"), ApiKind::Document);
        assert_eq!(of("통신-002"), ApiKind::Document);
        assert_eq!(of("은행-004"), ApiKind::Rows { with_document: false });
        assert_eq!(of("카드-004"), ApiKind::Rows { with_document: false });
        assert_eq!(of("카드-005"), ApiKind::Rows { with_document: false });
        assert_eq!(of("통신-003"), ApiKind::Rows { with_document: false });
        assert_eq!(of("IRP-003"), ApiKind::Rows { with_document: false });
        assert_eq!(of("금투-004"), ApiKind::Rows { with_document: true });
        assert_eq!(of("공통-001"), ApiKind::ApiList);
        assert_eq!(of("공통-002"), ApiKind::ConsentDetail);
        assert_eq!(of("개별인증-002"), ApiKind::NotInformation);
        assert_eq!(api("은행-004").unwrap().period_unit(), Some(PeriodUnit::Days));
        assert_eq!(api("카드-004").unwrap().period_unit(), Some(PeriodUnit::Months));
        assert_eq!(api("카드-005").unwrap().period_unit(), None);
        assert_eq!(api("카드-008").unwrap().resource_key(), Some("card_id"));
        // Every information API but the two 공통 APIs is answered from stored data, and every one
        // answered with rows has a list to put them in.
        for a in group(Group::Info) {
            assert_eq!(a.serves_stored_data(), !a.id.starts_with("공통-"), "{}", a.id);
            if let ApiKind::Rows { .. } | ApiKind::AssetList = a.kind() {
                assert!(crate::subject::list_fields(a).is_some(), "{}", a.id);
            }
        }
        assert_eq!(api("은행-010").unwrap().scheduled_max_days(), 93);
        assert_eq!(api("은행-004").unwrap().scheduled_max_days(), 31);
        assert_eq!(api("카드-004").unwrap().scheduled_max_days(), 93, "month ranges: three months");
    }

    #[test]
    fn every_keyed_api_finds_the_list_that_names_its_assets() {
        for api in group(Group::Info).filter(|a| a.resource_key().is_some()) {
            for &industry in api.industries {
                let list = api.asset_list(industry).unwrap_or_else(|| panic!("{} at {industry} has no list", api.id));
                assert!(list.industries.contains(&industry));
            }
        }
        assert_eq!(api("은행-004").unwrap().asset_list(Bank).unwrap().id, "은행-001");
        assert_eq!(api("IRP-002").unwrap().asset_list(Insu).unwrap().id, "IRP-001");
        assert_eq!(api("보험-010").unwrap().asset_list(Insu).unwrap().id, "보험-008");
        assert_eq!(api("카드-008").unwrap().asset_list(Card).unwrap().id, "카드-001");
        assert_eq!(api("채권-002").unwrap().asset_list(Usury).unwrap().id, "채권-001");
    }

    #[test]
    fn every_known_api_is_in_the_catalogue() {
        for known in KnownApi::ALL {
            assert!(known.spec().is(known));
            assert_eq!(KnownApi::from_id(known.id()), Some(known));
        }
        assert_eq!(KnownApi::Consents.spec().scope, ScopeRule::List);
    }

    #[test]
    fn list_scopes_are_recognised_by_their_industry() {
        assert_eq!(list_scope(Bank), "bank.list");
        assert!(is_list_scope("card.list"));
        assert!(!is_list_scope("card.card") && !is_list_scope("cards.list") && !is_list_scope("list"));
        let lists: Vec<_> = info_apis(Bank).filter(|a| a.kind() == ApiKind::AssetList).map(|a| a.id).collect();
        assert_eq!(lists, ["IRP-001", "선불-001", "은행-001"]);
        let deposit: Vec<_> = api("은행-001").unwrap().detail_apis(Bank).map(|a| a.id).collect();
        assert_eq!(deposit.len(), 9, "은행-002..010 describe 은행-001's accounts: {deposit:?}");
    }

    #[test]
    fn paths_carry_version_and_industry() {
        assert_eq!(api("은행-004").unwrap().path(Bank), "/v1/bank/accounts/deposit/transactions");
        assert_eq!(api("공통-001").unwrap().path(Card), "/card/apis");
        assert_eq!(api("개별인증-001").unwrap().path(Bank), "/oauth/2.0/authorize");
    }
}
