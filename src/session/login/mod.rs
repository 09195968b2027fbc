//! Logging in (`[profiles.NAME.login]`): one task per profile obtains the
//! token (or Django session cookie) the sessions dial with, renews it
//! before it expires and when a socket refuses it, and reports each
//! login as an [`Event::Login`](super::Event::Login).
//!
//! What it obtains is kept in memory only: the profile is rendered again
//! with it ([`crate::config::Profile::render_logged_in`], which also
//! teaches the profile's redactor the new secret) and published on a
//! `watch` channel ([`LoginLink`]); sessions take their endpoint from
//! there before each attempt, the token check and the probe their
//! credentials. One file per kind: [`drf_token`], [`jwt`], [`oauth2`],
//! [`django_session`].
//!
//! Renewal: a credential with a known lifetime (a JWT's `exp`, OAuth2's
//! `expires_in`) is renewed at 80% of it; the open sockets then reconnect
//! with the new token (close 1000, [`Command::NewToken`]) before the
//! server would close them. A socket refused for auth asks for a renewal
//! ([`LoginLink::renew`]) and reconnects with the result instead of
//! stopping.

pub(crate) mod answer;
pub(crate) mod django_session;
pub(crate) mod drf_token;
pub(crate) mod jwt;
pub(crate) mod oauth2;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::ActiveProfile;
use crate::config::login::{ActiveLogin, LoginKind, Obtained, SessionCookie};
use crate::facts::events::{Command, Event};
use crate::secret::Secret;

// What a login came to is a fact (the engine reports it in an `Event`).
pub use crate::facts::login::{LoginResult, LoginStep, LoginVerdict};

/// What a login obtained (in memory only).
#[derive(Debug, Clone)]
pub struct Credential {
    pub token: Secret,
    /// jwt: the refresh token.
    pub refresh: Option<Secret>,
    /// django_session: the cookies.
    pub cookie: Option<SessionCookie>,
    pub expires_at: Option<SystemTime>,
    /// From obtaining to expiry, when known.
    pub lifetime: Option<Duration>,
}

impl Credential {
    fn token(token: Secret) -> Credential {
        Credential {
            token,
            refresh: None,
            cookie: None,
            expires_at: None,
            lifetime: None,
        }
    }

    /// When to renew: at 80% of the lifetime (a 15 s JWT at 12 s, a
    /// 5 min one a minute early), never sooner than 1 s from now.
    fn renew_in(&self) -> Option<Duration> {
        let lifetime = self.lifetime?;
        Some(lifetime.mul_f64(0.8).max(Duration::from_secs(1)))
    }
}

/// The login's state as sessions see it.
#[derive(Debug, Clone)]
pub enum LoginState {
    /// No login has finished yet.
    Pending,
    /// The profile rendered with the newest credential; `version` counts
    /// credentials obtained.
    Ready {
        profile: Arc<ActiveProfile>,
        version: u64,
    },
    /// The last login failed (see the last [`Event::Login`]).
    Failed { version: u64 },
}

/// A session's (or the token check's) end of the login.
#[derive(Clone)]
pub struct LoginLink {
    pub state: watch::Receiver<LoginState>,
    /// Asks the login for a new credential now (a socket was refused).
    pub renew: Arc<Notify>,
}

impl LoginLink {
    /// The profile rendered with the newest credential, if any.
    pub fn current(&self) -> Option<Arc<ActiveProfile>> {
        match &*self.state.borrow() {
            LoginState::Ready { profile, .. } => Some(profile.clone()),
            _ => None,
        }
    }

    /// Waits for the first login to finish; `None` if it failed (or the
    /// login task is gone).
    pub async fn first(&mut self) -> Option<Arc<ActiveProfile>> {
        loop {
            match &*self.state.borrow_and_update() {
                LoginState::Ready { profile, .. } => return Some(profile.clone()),
                LoginState::Failed { .. } => return None,
                LoginState::Pending => {}
            }
            self.state.changed().await.ok()?;
        }
    }
}

/// A profile as activated and, when it logs in, its login: what the REST
/// calls (token check, probe) authenticate with.
#[derive(Clone)]
pub struct Current {
    pub profile: Arc<ActiveProfile>,
    pub login: Option<LoginLink>,
}

impl Current {
    /// The profile with the newest credential (as activated without a
    /// login, or before the first one succeeds).
    pub fn now(&self) -> Arc<ActiveProfile> {
        self.login
            .as_ref()
            .and_then(LoginLink::current)
            .unwrap_or_else(|| self.profile.clone())
    }
}

/// Starts the login of `profile` (which must have one): the link for
/// sessions, and the task's future.
pub fn start(
    profile: &Arc<ActiveProfile>,
    login: Arc<ActiveLogin>,
    wiring: TaskWiring,
) -> (LoginLink, impl std::future::Future<Output = ()> + use<>) {
    let (tx, rx) = watch::channel(LoginState::Pending);
    let renew = Arc::new(Notify::new());
    let link = LoginLink {
        state: rx,
        renew: renew.clone(),
    };
    let task = run(profile.clone(), login, tx, renew, wiring);
    (link, task)
}

/// What the login task talks to.
pub struct TaskWiring {
    pub events: mpsc::Sender<Event>,
    /// Every session's commands: [`Command::NewToken`] after a renewal.
    pub sessions: Vec<mpsc::Sender<Command>>,
    /// Poked when a credential first becomes usable, so the token check
    /// runs with it.
    pub token_check: Arc<Notify>,
    pub cancel: CancellationToken,
    /// Whether sessions reconnect forever (a one-shot `check` logs in once).
    pub long_running: bool,
}

/// Earlier tokens kept in the redactor after a renewal (a server may
/// echo an expired token).
const OLD_SECRETS: usize = 8;

/// Waits before trying a transient failure again: 1 s doubling to 30 s.
fn transient_wait(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(5)).min(Duration::from_secs(30))
}

async fn run(
    profile: Arc<ActiveProfile>,
    login: Arc<ActiveLogin>,
    state: watch::Sender<LoginState>,
    renew: Arc<Notify>,
    wiring: TaskWiring,
) {
    let client = crate::token_check::client_via(
        profile.settings.connect_timeout,
        &profile.tls,
        &profile.proxy,
    );
    let mut redactor = profile.redactor.clone();
    let mut current: Option<Credential> = None;
    let mut old: Vec<Secret> = Vec::new();
    let mut version = 0u64;
    let mut failures = 0u32;
    let mut ready = false;
    loop {
        let (result, obtained) = tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => return,
            step = step(&client, &login, current.as_ref(), &redactor) => step,
        };
        tracing::info!(kind = login.kind.as_str(), url = %result.url, status = ?result.status,
            verdict = result.verdict.as_str(), "login");
        let verdict = result.verdict;
        if wiring.events.send(Event::Login(result)).await.is_err() {
            return;
        }
        let wait = match obtained {
            Some(credential) => {
                if let Some(previous) = current.take() {
                    old.push(previous.token);
                    old.extend(previous.refresh);
                    old.extend(previous.cookie.map(|c| c.session));
                    let excess = old.len().saturating_sub(OLD_SECRETS);
                    old.drain(..excess);
                }
                let mut secrets = old.clone();
                secrets.extend(credential.refresh.clone());
                let obtained = Obtained {
                    token: credential.token.clone(),
                    cookie: credential.cookie.clone(),
                };
                let rendered =
                    match login
                        .template
                        .render_logged_in(login.clone(), &obtained, &secrets)
                    {
                        Ok(rendered) => rendered,
                        Err(e) => {
                            // Validation rendered these templates already.
                            tracing::error!("cannot render the profile with the new token: {e}");
                            return;
                        }
                    };
                redactor = rendered.redactor.clone();
                version += 1;
                let renewed = ready;
                let after_failure = failures > 0;
                ready = true;
                failures = 0;
                state.send_replace(LoginState::Ready {
                    profile: Arc::new(rendered),
                    version,
                });
                if renewed {
                    for session in &wiring.sessions {
                        let _ = session.try_send(Command::NewToken);
                    }
                } else if after_failure {
                    // The token check waits for a login; the first one
                    // it gets by itself (see `supervisor::run_checks`).
                    wiring.token_check.notify_one();
                }
                let renew_in = credential.renew_in();
                current = Some(credential);
                if !wiring.long_running {
                    return;
                }
                renew_in
            }
            None => {
                ready = false;
                state.send_replace(LoginState::Failed { version });
                if !wiring.long_running {
                    return;
                }
                failures += 1;
                // A refusal waits for a person (or a slow re-try, as an
                // auth-stopped socket does); an outage retries sooner.
                Some(if verdict.is_transient() {
                    transient_wait(failures)
                } else {
                    super::policy::REPROBE_AFTER
                })
            }
        };
        let sleep = async {
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => return,
            _ = renew.notified() => {}
            _ = sleep => {}
        }
    }
}

/// One renewal: a jwt refresh while a refresh token is held (falling back
/// to logging in when it is refused), else a login.
async fn step(
    client: &reqwest::Client,
    login: &ActiveLogin,
    current: Option<&Credential>,
    redactor: &crate::secret::Redactor,
) -> (LoginResult, Option<Credential>) {
    let started = std::time::Instant::now();
    let at = SystemTime::now();
    if login.kind == LoginKind::Jwt
        && let (Some(url), Some(refresh)) =
            (&login.refresh_url, current.and_then(|c| c.refresh.as_ref()))
    {
        let outcome = jwt::refresh(client, login, url, refresh, redactor).await;
        if outcome.is_ok() {
            return report(
                login,
                LoginStep::Refresh,
                url,
                at,
                started,
                outcome,
                redactor,
            );
        }
        // An expired or blacklisted refresh token: log in again.
    }
    let outcome = match login.kind {
        LoginKind::DrfToken => drf_token::obtain(client, login, redactor).await,
        LoginKind::Jwt => jwt::obtain(client, login, redactor).await,
        LoginKind::OAuth2ClientCredentials => oauth2::obtain(client, login, redactor).await,
        LoginKind::DjangoSession => django_session::obtain(client, login, redactor).await,
    };
    report(
        login,
        LoginStep::Login,
        &login.url,
        at,
        started,
        outcome,
        redactor,
    )
}

fn report(
    login: &ActiveLogin,
    step: LoginStep,
    url: &url::Url,
    at: SystemTime,
    started: std::time::Instant,
    outcome: Result<(u16, Credential), answer::Failure>,
    redactor: &crate::secret::Redactor,
) -> (LoginResult, Option<Credential>) {
    let mut result = LoginResult {
        at,
        kind: login.kind,
        step,
        url: redactor.redact(url.as_str()).into_owned(),
        who: login.who().to_string(),
        status: None,
        verdict: LoginVerdict::LoggedIn,
        detail: None,
        expires_at: None,
        latency: started.elapsed(),
    };
    match outcome {
        Ok((status, credential)) => {
            result.status = Some(status);
            result.expires_at = credential.expires_at;
            (result, Some(credential))
        }
        Err(failure) => {
            result.status = failure.status;
            result.verdict = failure.verdict;
            result.detail = failure.detail;
            (result, None)
        }
    }
}
