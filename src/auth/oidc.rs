//! Sign-in through an OpenID Connect provider (Google by default; any issuer set by
//! `OIDC_ISSUER_URL`, including a plain-http one on 127.0.0.1 for tests).
//!
//! - The provider's discovery document and keys (JWKS) are fetched lazily, on the first sign-in,
//!   never at start-up, and cached for an hour. An ID token signed by a key the cache does not
//!   know triggers one refresh (at most once a minute), so key rotation needs no restart.
//! - ID tokens are verified by `openidconnect`: the signature against the provider's keys (only
//!   asymmetric algorithms are accepted), the issuer, the audience (our client id, and no
//!   untrusted extra audience), the expiry, and, in the browser flow, the nonce.
//! - The HTTP client follows no redirects (no SSRF through a provider's answers).

use std::{
    str::FromStr,
    sync::Arc,
    time::{Duration, Instant},
};

use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    core::{
        CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims,
        CoreJwsSigningAlgorithm, CoreProviderMetadata,
    },
    reqwest,
};
use tokio::sync::Mutex;

use crate::config::{Config, OidcSettings};
use crate::error::AppError;

/// Path of the browser flow's callback under `PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/auth/google/callback";
const METADATA_TTL: Duration = Duration::from_secs(3600);
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Who the provider says signed in.
#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture: Option<String>,
}

/// The start of a browser sign-in: where to send the browser, and what to keep until it comes
/// back (server-side; see `service::federated`).
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Why a provider sign-in failed.
#[derive(Debug)]
pub enum OidcError {
    /// `GOOGLE_CLIENT_ID` is not set.
    NotConfigured,
    /// The provider could not be reached or answered nonsense (our problem, or theirs).
    Unavailable(anyhow::Error),
    /// The code exchange or the ID token was refused: the user's sign-in fails.
    Refused(String),
}

impl From<OidcError> for AppError {
    fn from(err: OidcError) -> Self {
        match err {
            OidcError::NotConfigured => not_configured(),
            OidcError::Unavailable(e) => AppError::Internal(e.context("OpenID provider")),
            OidcError::Refused(reason) => {
                tracing::info!(%reason, "provider sign-in refused");
                AppError::unauthenticated("The identity token was refused")
            }
        }
    }
}

pub fn not_configured() -> AppError {
    AppError::not_found(
        "Google sign-in is not enabled on this server (GOOGLE_CLIENT_ID is not set)",
    )
}

struct Cached {
    metadata: Arc<CoreProviderMetadata>,
    fetched_at: Instant,
}

pub struct OidcProvider {
    settings: Option<OidcSettings>,
    redirect_url: String,
    http: reqwest::Client,
    cache: Mutex<Option<Cached>>,
}

impl OidcProvider {
    pub fn new(config: &Config) -> Self {
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "building the OpenID HTTP client with a timeout failed; using defaults");
                reqwest::Client::new()
            });
        Self {
            settings: config.security.oidc.clone(),
            redirect_url: format!("{}{CALLBACK_PATH}", config.security.public_url),
            http,
            cache: Mutex::new(None),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.settings.is_some()
    }

    fn settings(&self) -> Result<&OidcSettings, OidcError> {
        self.settings.as_ref().ok_or(OidcError::NotConfigured)
    }

    /// The provider's metadata (with its keys), from the cache unless it is stale or `refresh`
    /// asks for a new copy (then at most once per [`MIN_REFRESH_INTERVAL`]).
    async fn metadata(&self, refresh: bool) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        let settings = self.settings()?;
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            let age = c.fetched_at.elapsed();
            if age < METADATA_TTL && (!refresh || age < MIN_REFRESH_INTERVAL) {
                return Ok(c.metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(settings.issuer_url.clone())
            .map_err(|e| OidcError::Unavailable(anyhow::anyhow!("OIDC_ISSUER_URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Unavailable(anyhow::anyhow!("discovery failed: {e}")))?;
        let metadata = Arc::new(metadata);
        *cache = Some(Cached {
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
        });
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: &CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let settings = self.settings()?;
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|e| OidcError::Unavailable(anyhow::anyhow!("PUBLIC_URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(settings.client_id.clone()),
            settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a browser sign-in: the provider URL with PKCE (S256), `state` and `nonce`.
    pub async fn authorization_request(&self) -> Result<AuthorizationRequest, OidcError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a browser sign-in: exchanges the code (with the PKCE verifier) and verifies the
    /// ID token it returns, nonce included.
    pub async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, OidcError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(&metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                OidcError::Unavailable(anyhow::anyhow!("provider has no token endpoint: {e}"))
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // The provider answered, and said no (a bad, used or expired code; PKCE).
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    OidcError::Refused(format!("code exchange refused: {r}"))
                }
                // We could not talk to it, or it answered nonsense.
                other => OidcError::Unavailable(anyhow::anyhow!("code exchange failed: {other}")),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::Refused("the token response has no ID token".into()))?
            .clone();
        let nonce = Nonce::new(nonce.to_owned());
        self.verify(&id_token, Some(&nonce)).await
    }

    /// Verifies an ID token a client obtained by itself (`loginWithGoogle`); no nonce to check.
    pub async fn verify_id_token(&self, id_token: &str) -> Result<VerifiedIdentity, OidcError> {
        self.settings()?;
        let token = CoreIdToken::from_str(id_token.trim())
            .map_err(|e| OidcError::Refused(format!("malformed ID token: {e}")))?;
        self.verify(&token, None).await
    }

    async fn verify(
        &self,
        token: &CoreIdToken,
        nonce: Option<&Nonce>,
    ) -> Result<VerifiedIdentity, OidcError> {
        let metadata = self.metadata(false).await?;
        match self.verify_with(&metadata, token, nonce) {
            Err(Retry::UnknownKey) => {
                // The provider may have rotated its keys since we cached them.
                let fresh = self.metadata(true).await?;
                self.verify_with(&fresh, token, nonce)
                    .map_err(|r| r.into_error())
            }
            other => other.map_err(|r| r.into_error()),
        }
    }

    fn verify_with(
        &self,
        metadata: &CoreProviderMetadata,
        token: &CoreIdToken,
        nonce: Option<&Nonce>,
    ) -> Result<VerifiedIdentity, Retry> {
        let client = self.client(metadata).map_err(Retry::Fail)?;
        let issuer = metadata.issuer().as_str().trim_end_matches('/').to_owned();
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
                CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                CoreJwsSigningAlgorithm::RsaSsaPssSha384,
                CoreJwsSigningAlgorithm::RsaSsaPssSha512,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EcdsaP384Sha384,
                CoreJwsSigningAlgorithm::EdDsa,
            ])
            // Checked below: Google's tokens may say `accounts.google.com` without the scheme.
            .require_issuer_match(false);
        let claims: &CoreIdTokenClaims = match nonce {
            Some(nonce) => token.claims(&verifier, nonce),
            None => token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        }
        .map_err(|e| {
            use openidconnect::{ClaimsVerificationError as C, SignatureVerificationError as S};
            match e {
                C::SignatureVerification(S::NoMatchingKey) => Retry::UnknownKey,
                other => Retry::Fail(OidcError::Refused(format!("ID token refused: {other}"))),
            }
        })?;
        let token_issuer = claims.issuer().as_str().trim_end_matches('/');
        let issuer_ok = token_issuer == issuer
            || (issuer == GOOGLE_ISSUER && token_issuer == "accounts.google.com");
        if !issuer_ok {
            return Err(Retry::Fail(OidcError::Refused(format!(
                "ID token refused: issuer {token_issuer:?} is not {issuer:?}"
            ))));
        }
        Ok(VerifiedIdentity {
            issuer,
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            picture: claims
                .picture()
                .and_then(|p| p.get(None))
                .map(|p| p.as_str().to_owned()),
        })
    }
}

enum Retry {
    UnknownKey,
    Fail(OidcError),
}

impl Retry {
    fn into_error(self) -> OidcError {
        match self {
            Retry::UnknownKey => OidcError::Refused(
                "ID token refused: signed by a key the provider does not publish".into(),
            ),
            Retry::Fail(e) => e,
        }
    }
}
