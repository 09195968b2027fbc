//! The one place dashboard state lives: the engine's [`Model`], the running
//! [`Supervisor`], and what the user is looking at (selection, focus, follow,
//! filter, popups). Render functions only read it; [`super::update`] changes it.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use super::cursor::Filter;
use crate::config::{ActiveProfile, Config};
use crate::facts::{Event, Payload};
use crate::model::Model;
use crate::session::{self, Mode, Supervisor};

/// The panels that can have the focus, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Sessions,
    Detail,
    Payloads,
    History,
    Token,
}

impl Panel {
    /// `Tab` order.
    pub const ALL: [Panel; 5] = [
        Panel::Sessions,
        Panel::Detail,
        Panel::Payloads,
        Panel::History,
        Panel::Token,
    ];

    /// The panel's title as shown on its border.
    pub fn title(self) -> &'static str {
        match self {
            Panel::Sessions => "Sessions",
            Panel::Detail => "Detail",
            Panel::Payloads => "Payloads",
            Panel::History => "Reconnect history",
            Panel::Token => "Token check",
        }
    }
}

/// What floats over the panels.
#[derive(Debug, Clone)]
pub enum Popup {
    Help,
    /// The profile picker; `cursor` indexes `Config::profiles`.
    Profiles {
        cursor: usize,
    },
    /// One payload, pretty-printed; a copy, so ring eviction cannot pull it away.
    Payload {
        payload: Payload,
        scroll: u16,
    },
    /// `Y`: include the token in the copied commands? (y / n)
    Reproduce,
}

/// Where "now" comes from: the system clock, or a fixed instant so that
/// snapshots of uptimes and countdowns are the same on every run.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(SystemTime),
}

/// Messages per second of one session, for the sparkline: counts per whole
/// second, the last [`RATE_SECONDS`] kept. Fed per batch, so a flood costs
/// one addition per batch, not per message.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    buckets: VecDeque<(u64, u64)>,
}

/// Seconds a notice stays in the footer when no key clears it first.
pub(crate) const NOTICE_SECONDS: u64 = 5;

/// Seconds of message rate kept for the sparkline.
pub(crate) const RATE_SECONDS: usize = 60;

impl RateMeter {
    /// Counts `count` messages in the second of `at`.
    pub fn add(&mut self, at: SystemTime, count: u64) {
        let sec = epoch_secs(at);
        match self.buckets.back_mut() {
            Some((s, n)) if *s == sec => *n += count,
            Some((s, _)) if *s > sec => {} // out of order: a late batch; ignored
            _ => {
                self.buckets.push_back((sec, count));
                while self.buckets.len() > RATE_SECONDS {
                    self.buckets.pop_front();
                }
            }
        }
    }

    /// Counts of the `n` whole seconds before `now`, oldest first (the
    /// current, unfinished second is left out so the rate does not dip).
    pub fn last(&self, now: SystemTime, n: usize) -> Vec<u64> {
        let end = epoch_secs(now);
        let first = end.saturating_sub(n as u64);
        (first..end)
            .map(|s| {
                self.buckets
                    .iter()
                    .find(|(b, _)| *b == s)
                    .map_or(0, |(_, c)| *c)
            })
            .collect()
    }
}

fn epoch_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// Per-session view state that the model does not have.
#[derive(Debug, Clone, Default)]
pub struct SessionView {
    /// Messages per second, for the sparkline.
    pub rate: RateMeter,
    /// Messages ever pushed into the ring: with the ring's length it turns
    /// ring indexes into stable sequence numbers across eviction.
    pub pushed: u64,
    /// Every event but messages and pongs, oldest first (capped at
    /// [`super::tools::JOURNAL_CAP`]): the state changes of the transcript `e` saves.
    pub journal: VecDeque<crate::facts::SessionEvent>,
}

/// The dashboard's whole state.
pub struct App {
    /// The whole profiles file (the picker lists its profiles).
    pub config: Config,
    /// Index in `config.profiles` of the live profile.
    pub live: usize,
    /// The live profile, activated (diagnoses need its token facts).
    pub active: ActiveProfile,
    /// The URL lint of `active`'s endpoints, found once per activation.
    pub url_warnings: Vec<Vec<String>>,
    /// The engine's state of the live profile.
    pub model: Model,
    /// View state per session, parallel to `model.sessions`.
    pub views: Vec<SessionView>,
    pub(crate) supervisor: Option<Supervisor>,
    pub(crate) events: mpsc::Receiver<Event>,
    /// Fed by a test instead of an engine: a profile switch starts none.
    pub(crate) detached: bool,
    /// Selected session (row of the sessions list).
    pub selected: usize,
    /// The panel that takes the moving keys.
    pub focus: Panel,
    /// The payload list sticks to the newest message.
    pub follow: bool,
    /// Sequence number of the payload under the cursor when not following.
    pub payload_cursor: u64,
    /// Lines scrolled in the detail panel.
    pub detail_scroll: u16,
    /// Attempts scrolled in the history panel (newest first).
    pub history_scroll: usize,
    /// The payload filter (`/`).
    pub filter: Filter,
    /// The sessions list's order (`o`) and filter (`/` on it).
    pub rows: super::rows::Rows,
    /// The search in the open payload (`/` in the popup).
    pub popup_search: Filter,
    /// The line of the open payload the search last went to (`n`/`N`
    /// go on from it).
    pub(crate) popup_hit: Option<usize>,
    /// The focused panel fills the screen (`z`).
    pub zoom: bool,
    /// The time zone times are shown in (local unless fixed).
    pub zone: crate::app::zone::Zone,
    /// Times are shown relative to now (`T`).
    pub relative_times: bool,
    /// The popup shown over the panels, if any.
    pub popup: Option<Popup>,
    /// One line for the status bar: a profile switch, an activation error…
    pub notice: Option<String>,
    /// The notice on screen and when the tick first saw it: it goes
    /// after [`NOTICE_SECONDS`] by the app's clock.
    pub(crate) notice_seen: Option<(String, SystemTime)>,
    /// The user pressed `t`: a valid answer then retries auth-stopped sessions.
    pub(crate) token_requested: bool,
    /// Where "now" comes from (fixed in snapshot tests).
    pub clock: Clock,
    /// Colours, or none with `NO_COLOR`.
    pub theme: crate::app::theme::Theme,
    /// Where the last frame drew each region (mouse hit-testing).
    pub areas: super::areas::Areas,
    pub(crate) pending: Option<Effect>,
    /// Bytes waiting to be copied to the clipboard (`y`, `Y`); the
    /// terminal loop writes them as OSC 52.
    pub(crate) clipboard: Option<Vec<u8>>,
    /// The one-line send composer (`i`), while open.
    pub composer: Option<super::tools::Composer>,
    /// Texts sent from the composer, oldest first (Up/Down recall them).
    pub sent_history: Vec<String>,
    /// Where `e` saves transcripts; `None`: the platform data dir.
    pub export_dir: Option<std::path::PathBuf>,
    /// Results of the profiles file watcher, when one runs.
    pub(crate) reloads: Option<mpsc::Receiver<super::reload::Reload>>,
    /// The watcher task; aborted when the app goes.
    pub(crate) watcher: Option<super::reload::Watcher>,
    /// The user asked to quit; the loop ends after this turn.
    pub quit: bool,
    /// Prometheus metrics fed from the events (`--metrics ADDR`).
    pub metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    /// Several profiles live (see [`super::crew`]): one place per profile
    /// in lineup order, `None` at the focused one (whose state is the
    /// app's own fields). Empty with one profile live.
    pub crew: Vec<Option<super::crew::Member>>,
    /// The focused profile's place in `crew`.
    pub focused: usize,
    /// The crew's events, tagged with the profile's place.
    pub(crate) crew_events: Option<crate::session::crew::Events>,
}

/// Work `update` cannot do synchronously; the event loop awaits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Close the live profile's sessions and start those of profile `index`.
    SwitchProfile(usize),
}

impl App {
    /// Starts the engine on `active` (profile number `live` of `config`),
    /// and watches the profiles file `config` came from, if it is a file.
    /// Must be called inside a tokio runtime.
    pub fn start(config: Config, live: usize, active: ActiveProfile) -> App {
        let (tx, rx) = session::channel();
        let supervisor = Supervisor::start(active.clone(), Mode::Monitor, tx);
        let mut app = App::with_engine(config, live, active, Some(supervisor), rx);
        app.watch_config_file();
        app
    }

    /// An app without an engine, fed by the returned sender: for tests and
    /// screenshots that need exact timestamps.
    pub fn detached(
        config: Config,
        live: usize,
        active: ActiveProfile,
    ) -> (App, mpsc::Sender<Event>) {
        let (tx, rx) = session::channel();
        (App::with_engine(config, live, active, None, rx), tx)
    }

    fn with_engine(
        config: Config,
        live: usize,
        active: ActiveProfile,
        supervisor: Option<Supervisor>,
        events: mpsc::Receiver<Event>,
    ) -> App {
        let model = Model::new(&active);
        App {
            views: vec![SessionView::default(); model.sessions.len()],
            config,
            live,
            url_warnings: crate::report::url_warnings(&active),
            active,
            model,
            detached: supervisor.is_none(),
            supervisor,
            events,
            selected: 0,
            focus: Panel::Sessions,
            follow: true,
            payload_cursor: 0,
            detail_scroll: 0,
            history_scroll: 0,
            filter: Filter::default(),
            rows: super::rows::Rows::default(),
            popup_search: Filter::default(),
            popup_hit: None,
            zoom: false,
            zone: crate::app::zone::Zone::Local,
            relative_times: false,
            popup: None,
            notice: None,
            notice_seen: None,
            token_requested: false,
            clock: Clock::System,
            theme: crate::app::theme::Theme::from_env(),
            areas: super::areas::Areas::default(),
            pending: None,
            clipboard: None,
            composer: None,
            sent_history: Vec::new(),
            export_dir: None,
            reloads: None,
            watcher: None,
            quit: false,
            metrics: None,
            crew: Vec::new(),
            focused: 0,
            crew_events: None,
        }
    }

    /// Starts several profiles live together (`lineup`: config index and
    /// activated profile, the first focused), and watches the profiles
    /// file. With one profile this is [`App::start`].
    pub fn start_lineup(config: Config, lineup: Vec<(usize, ActiveProfile)>) -> App {
        App::start_lineup_with_metrics(config, lineup, None)
    }

    /// [`App::start_lineup`] feeding `metrics` (labelled with every live profile).
    pub fn start_lineup_with_metrics(
        config: Config,
        lineup: Vec<(usize, ActiveProfile)>,
        metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    ) -> App {
        let mut lineup = lineup;
        if lineup.len() <= 1 {
            let (live, active) = lineup.remove(0);
            let mut app = App::start(config, live, active);
            app.metrics = metrics;
            return app;
        }
        let (live, active) = lineup[0].clone();
        let (_, rx) = session::channel();
        let mut app = App::with_engine(config, live, active, None, rx);
        app.detached = false;
        app.metrics = metrics;
        app.start_crew(lineup, true);
        app.watch_config_file();
        app
    }

    /// [`App::detached`] with several profiles: fed through the returned
    /// sender with events tagged by the profile's place in `lineup`.
    pub fn detached_lineup(
        config: Config,
        lineup: Vec<(usize, ActiveProfile)>,
    ) -> (App, mpsc::Sender<crate::session::crew::Tagged>) {
        let (live, active) = lineup[0].clone();
        let (_, rx) = session::channel();
        let mut app = App::with_engine(config, live, active, None, rx);
        app.start_crew(lineup, false);
        let (tx, rx) = crate::session::crew::channel();
        app.crew_events = Some(rx);
        (app, tx)
    }

    /// Now, by the app's clock.
    pub fn now(&self) -> SystemTime {
        match self.clock {
            Clock::System => SystemTime::now(),
            Clock::Fixed(t) => t,
        }
    }

    /// Time from `since` to now (zero if the clock is behind).
    pub fn since(&self, since: SystemTime) -> Duration {
        self.now().duration_since(since).unwrap_or_default()
    }

    /// Time from now to `at` (zero once passed).
    pub fn until(&self, at: SystemTime) -> Duration {
        at.duration_since(self.now()).unwrap_or_default()
    }

    /// The 1 Hz tick: health and time-ordered rows change with time, and a
    /// notice older than [`NOTICE_SECONDS`] (by the app's clock) goes, so
    /// the key hints come back.
    pub fn on_tick(&mut self) {
        self.judge_health();
        self.rows.tick();
        self.expire_notice();
    }

    /// Clears a notice shown for [`NOTICE_SECONDS`]; stamps a new one.
    pub(crate) fn expire_notice(&mut self) {
        let now = self.now();
        let Some(text) = &self.notice else {
            self.notice_seen = None;
            return;
        };
        match &self.notice_seen {
            Some((seen, at)) if seen == text => {
                if now.duration_since(*at).unwrap_or_default()
                    >= Duration::from_secs(NOTICE_SECONDS)
                {
                    self.notice = None;
                    self.notice_seen = None;
                }
            }
            _ => self.notice_seen = Some((text.clone(), now)),
        }
    }

    /// Whether the engine is running (false for a detached app).
    pub fn has_engine(&self) -> bool {
        self.supervisor.is_some()
    }
}
