//! Pure building blocks for authentication (CONTRACT §5): the RFC 6750 `WWW-Authenticate`
//! challenge (§5.3, §5.5), the `X-API-Key` check and its 401 body (§5.4), and the RFC 9728
//! protected resource metadata document and its paths (§5.6).
//!
//! Nothing here does I/O or knows about sessions: the request pipeline decides *when* to
//! answer 401/403, these modules decide *what* the answer says.

pub mod api_key;
pub mod challenge;
pub mod protected_resource;

pub use api_key::{
    api_key_from_headers, api_key_matches, API_KEY_HEADER, API_KEY_UNAUTHORIZED_BODY,
    API_KEY_UNAUTHORIZED_MESSAGE,
};
pub use challenge::{
    parse_challenge, quote, Challenge, ChallengeError, InsufficientScope, OAuthConfig,
    ParseChallengeError,
};
pub use protected_resource::{
    is_metadata_path, metadata_document, metadata_json, metadata_path_suffix,
    resource_metadata_url, WELL_KNOWN_PATH,
};
