//! 첨부1: detailed response codes (rsp_code) with their HTTP status and message, and the envelope
//! every non-OAuth API answers with.

use serde::{Deserialize, Serialize};

/// A detailed response code of 첨부1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RspCode {
    Success,
    UpToDate,
    InvalidParameter,
    InvalidHeader,
    UnsupportedVersion,
    PeriodTooLong,
    InvalidToken,
    ForbiddenRemoteIp,
    CertificateSerialMismatch,
    ScopeNotGranted,
    AssetNotConsented,
    ConsentEnded,
    InvalidCall,
    ClientTemporarilyRestricted,
    UnknownOrgCode,
    OlderThanFiveYears,
    AssetNotNormal,
    EndpointNotFound,
    AssetNotFound,
    CustomerNotFound,
    MethodNotAllowed,
    LimitExceeded,
    SystemFailure,
    ProcessingFailed,
    Timeout,
    UnknownError,
    Maintenance,
    OutsideScheduledHours,
}

impl RspCode {
    pub const ALL: [RspCode; 28] = [
        RspCode::Success,
        RspCode::UpToDate,
        RspCode::InvalidParameter,
        RspCode::InvalidHeader,
        RspCode::UnsupportedVersion,
        RspCode::PeriodTooLong,
        RspCode::InvalidToken,
        RspCode::ForbiddenRemoteIp,
        RspCode::CertificateSerialMismatch,
        RspCode::ScopeNotGranted,
        RspCode::AssetNotConsented,
        RspCode::ConsentEnded,
        RspCode::InvalidCall,
        RspCode::ClientTemporarilyRestricted,
        RspCode::UnknownOrgCode,
        RspCode::OlderThanFiveYears,
        RspCode::AssetNotNormal,
        RspCode::EndpointNotFound,
        RspCode::AssetNotFound,
        RspCode::CustomerNotFound,
        RspCode::MethodNotAllowed,
        RspCode::LimitExceeded,
        RspCode::SystemFailure,
        RspCode::ProcessingFailed,
        RspCode::Timeout,
        RspCode::UnknownError,
        RspCode::Maintenance,
        RspCode::OutsideScheduledHours,
    ];

    /// The five-digit code on the wire.
    pub const fn code(self) -> &'static str {
        use RspCode::*;
        match self {
            Success => "00000",
            UpToDate => "00001",
            InvalidParameter => "40001",
            InvalidHeader => "40002",
            UnsupportedVersion => "40003",
            PeriodTooLong => "40004",
            InvalidToken => "40101",
            ForbiddenRemoteIp => "40102",
            CertificateSerialMismatch => "40103",
            ScopeNotGranted => "40104",
            AssetNotConsented => "40105",
            ConsentEnded => "40106",
            InvalidCall => "40301",
            ClientTemporarilyRestricted => "40302",
            UnknownOrgCode => "40303",
            OlderThanFiveYears => "40304",
            AssetNotNormal => "40305",
            EndpointNotFound => "40401",
            AssetNotFound => "40402",
            CustomerNotFound => "40403",
            MethodNotAllowed => "40501",
            LimitExceeded => "42901",
            SystemFailure => "50001",
            ProcessingFailed => "50002",
            Timeout => "50003",
            UnknownError => "50004",
            Maintenance => "50008",
            OutsideScheduledHours => "50009",
        }
    }

    /// The HTTP status 첨부1 pairs with the code.
    pub const fn http_status(self) -> u16 {
        use RspCode::*;
        match self {
            Success | UpToDate => 200,
            InvalidParameter | InvalidHeader | UnsupportedVersion | PeriodTooLong => 400,
            InvalidToken
            | ForbiddenRemoteIp
            | CertificateSerialMismatch
            | ScopeNotGranted
            | AssetNotConsented
            | ConsentEnded => 401,
            InvalidCall | ClientTemporarilyRestricted | UnknownOrgCode | OlderThanFiveYears | AssetNotNormal => 403,
            EndpointNotFound | AssetNotFound | CustomerNotFound => 404,
            MethodNotAllowed => 405,
            LimitExceeded => 429,
            SystemFailure | ProcessingFailed | Timeout | UnknownError | Maintenance | OutsideScheduledHours => 500,
        }
    }

    /// A Korean message after 첨부1's description (the standard leaves the wording to each institution).
    pub const fn message(self) -> &'static str {
        use RspCode::*;
        match self {
            Success => "성공",
            UpToDate => "성공 (UP_TO_DATE)",
            InvalidParameter => "요청 파라미터 오류",
            InvalidHeader => "헤더 값 미존재 또는 잘못된 헤더값",
            UnsupportedVersion => "허용된 API 버전이 아님",
            PeriodTooLong => "조회기간이 전송기준을 초과",
            InvalidToken => "유효하지 않은 접근토큰",
            ForbiddenRemoteIp => "허용되지 않은 원격지 IP",
            CertificateSerialMismatch => "TLS 인증서 내 SERIALNUMBER 검증 실패",
            ScopeNotGranted => "API 사용 권한 없음",
            AssetNotConsented => "자산에 대한 정보조회 권한 없음",
            ConsentEnded => "전송요구 종료시점 경과",
            InvalidCall => "올바르지 않은 API 호출",
            ClientTemporarilyRestricted => "일시적으로 해당 클라이언트의 요청이 제한됨",
            UnknownOrgCode => "기관코드 확인 불가",
            OlderThanFiveYears => "최근 5년을 경과한 개인신용정보 요청",
            AssetNotNormal => "자산이 정상인 상태가 아님",
            EndpointNotFound => "요청한 엔드포인트는 존재하지 않음",
            AssetNotFound => "요청한 자산이 유효한 자산이 아님",
            CustomerNotFound => "정보주체(고객) 미존재",
            MethodNotAllowed => "허용되지 않은 HTTP Method",
            LimitExceeded => "정보제공 요청한도 초과",
            SystemFailure => "시스템장애",
            ProcessingFailed => "API 요청 처리 실패",
            Timeout => "처리시간 초과 에러",
            UnknownError => "알 수 없는 에러",
            Maintenance => "시스템 정기점검",
            OutsideScheduledHours => "정기적 전송 가능 시간대가 아님",
        }
    }

    pub fn from_code(code: &str) -> Option<RspCode> {
        RspCode::ALL.into_iter().find(|c| c.code() == code)
    }

    pub const fn is_success(self) -> bool {
        matches!(self, RspCode::Success | RspCode::UpToDate)
    }
}

/// The body every non-OAuth error answers with, and the head of every success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub rsp_code: String,
    pub rsp_msg: String,
}

impl Envelope {
    pub fn new(code: RspCode) -> Self {
        Envelope { rsp_code: code.code().to_owned(), rsp_msg: code.message().to_owned() }
    }

    /// The same code with a message that says what exactly was wrong.
    pub fn with_detail(code: RspCode, detail: &str) -> Self {
        Envelope { rsp_code: code.code().to_owned(), rsp_msg: format!("{} ({detail})", code.message()) }
    }
}

/// RFC 6749/7009 error body used by the token endpoints (첨부1, 접근토큰 발급/갱신/폐기).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_their_status_is_their_prefix() {
        let mut seen = HashSet::new();
        for code in RspCode::ALL {
            assert!(seen.insert(code.code()), "{code:?} repeats");
            assert_eq!(RspCode::from_code(code.code()), Some(code));
            let prefix: u16 = code.code()[..3].parse().unwrap();
            let expected = if prefix == 0 { 200 } else { prefix };
            assert_eq!(code.http_status(), expected, "{code:?}");
        }
    }

    #[test]
    fn envelope_serializes_as_the_standard_names_it() {
        let json = serde_json::to_value(Envelope::new(RspCode::InvalidHeader)).unwrap();
        assert_eq!(json["rsp_code"], "40002");
        assert_eq!(json["rsp_msg"], "헤더 값 미존재 또는 잘못된 헤더값");
    }
}
