//! The emulator's error responses: `{"reasonCode", "message"}` with the documented HTTP status
//! (spec §5.1–§5.2). Every rejection in the emulator is one of these; none is a panic or a bare 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error response as Amazon Pay sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: StatusCode,
    pub reason_code: &'static str,
    pub message: String,
}

impl ErrorResponse {
    pub fn new(status: StatusCode, reason_code: &'static str, message: impl Into<String>) -> Self {
        ErrorResponse { status, reason_code, message: message.into() }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({ "reasonCode": self.reason_code, "message": self.message })
    }

    // 400
    pub fn invalid_parameter(field: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValue",
            format!("The value provided for {field} is invalid: {why}"),
        )
    }

    pub fn missing_parameter(field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MissingParameterValue", format!("The {field} parameter is missing."))
    }

    pub fn unrecognized_field(field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "UnrecognizedField", format!("The field {field} is not recognized."))
    }

    pub fn invalid_request_format(why: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequestFormat", format!("The request body is not valid JSON: {why}"))
    }

    pub fn missing_header(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MissingHeader", format!("The header {name} is missing."))
    }

    pub fn invalid_header(name: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidHeaderValue",
            format!("The value of header {name} is invalid: {why}"),
        )
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }

    pub fn invalid_simulation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidSandboxSimulationSpecified", message)
    }

    pub fn transaction_amount_exceeded(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "TransactionAmountExceeded", message)
    }

    pub fn periodic_amount_exceeded() -> Self {
        // Message verbatim from JP FAQ QA-55.
        Self::new(
            StatusCode::BAD_REQUEST,
            "PeriodicAmountExceeded",
            "You've exceeded the monthly limit for the Charge Permission and must wait until the next month to charge this buyer.",
        )
    }

    pub fn currency_mismatch(field: &str, got: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "CurrencyMismatch",
            format!("The currency {got} of {field} does not match the currency {expected} of this transaction."),
        )
    }

    pub fn duplicate_idempotency_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "DuplicateIdempotencyKey",
            "The idempotency key was already used with different request parameters.",
        )
    }

    // 403
    pub fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "InvalidRequestSignature", message)
    }

    // 404
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", format!("The {kind} {id} was not found."))
    }

    // 405
    pub fn unsupported_operation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "UnsupportedOperation", message)
    }

    // 409
    pub fn amount_mismatch(field: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "AmountMismatch",
            format!("The {field} does not match the amount of the Checkout Session set by Update Checkout Session."),
        )
    }

    // 422
    pub fn unprocessable(reason_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, reason_code, message)
    }

    // 429
    pub fn too_many_requests(operation: &str) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            format!("The request was throttled: the {operation} quota of this merchant is used up; retry later."),
        )
    }
}

impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.reason_code, self.message)
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
