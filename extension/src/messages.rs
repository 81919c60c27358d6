//! The one message switch: a page's `Request` in, a `Response` out. Views are the tracker's
//! pure functions; only settings, "clear data", checks and refreshes do I/O here.

use std::rc::Rc;

use onebasket::protocol::packed::PackError;
use onebasket::protocol::{Request, Response};
use onebasket::settings::SettingsError;
use onebasket::tracker::Tracker;
use onebasket::Millis;
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings::now;
use crate::shell::{perform, Shell};
use crate::store::{self, CodecError, StoreError};
use crate::{badge, bindings, checks, feeds};

/// Why a page's request was refused; its text is the [`Response::Error`] the page shows.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MessageError {
    /// The message is no `Request` this worker knows.
    #[error("unknown request: {0}")]
    Unknown(CodecError),
    /// New settings that do not validate.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Storage refused what the request needed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A view asked for packed did not pack (a build defect the core's tests catch).
    #[error(transparent)]
    Pack(#[from] PackError),
}

/// Answers a page's request.
pub(crate) async fn on_message(shell: Rc<Shell>, message: JsValue) -> Response {
    let answer = match store::from_js::<Request>(message) {
        Ok(request) => answer(shell, request).await,
        Err(e) => Err(MessageError::Unknown(e)),
    };
    answer.unwrap_or_else(|e| Response::Error {
        message: e.to_string(),
    })
}

/// The answer to a request for one tab's view ([`Request::tab_url`]) from `t`; `None` for
/// every other request. Also how a waking worker answers such a request first, from that tab's
/// site alone ([`crate::startup`]).
pub(crate) fn tab_answer(
    t: &Tracker,
    request: &Request,
    now: Millis,
) -> Option<Result<Response, MessageError>> {
    Some(match request {
        Request::GetTab { url } => Ok(Response::Tab {
            tab: t.tab_view(url, now),
        }),
        Request::GetTabPanel { url, packed } => {
            Response::view(t.tab_panel(url, now), *packed, |panel| Response::TabPanel {
                panel,
            })
            .map_err(MessageError::from)
        }
        _ => return None,
    })
}

async fn answer(shell: Rc<Shell>, request: Request) -> Result<Response, MessageError> {
    if let Some(answer) = shell.with(|t| tab_answer(t, &request, now())) {
        return answer;
    }
    Ok(match request {
        Request::GetOverview => Response::Overview {
            overview: shell.with(|t| t.overview(now())),
        },
        Request::GetPopup { query, packed } => Response::view(
            shell.with(|t| t.popup_view(&query, now())),
            packed,
            |popup| Response::Popup { popup },
        )?,
        Request::GetDashboard { query } => Response::Dashboard {
            dashboard: shell.with(|t| t.dashboard_view(&query, now())),
        },
        Request::GetExport { format } => Response::Export {
            format,
            text: shell.with(|t| t.export(format, now())),
        },
        Request::MeasureLookups { count } => {
            use onebasket::table::probe;
            let count = probe::count_to_measure(count);
            shell.with(|t| {
                let table = t.classifier().table();
                let addresses = probe::addresses_in_ranges(table, count.min(probe::DISTINCT));
                let began = bindings::precise_now();
                let matched = probe::look_up_all(table, &addresses, count);
                let ms = bindings::precise_now() - began;
                let looked_up = if addresses.is_empty() { 0 } else { count };
                Response::Lookups {
                    count: u32::try_from(looked_up).unwrap_or(u32::MAX),
                    matched: u32::try_from(matched).unwrap_or(u32::MAX),
                    ms,
                }
            })
        }
        Request::GetOptions => Response::Options {
            options: shell.with(|t| t.options_view(now())),
        },
        // Answered by `tab_answer` above.
        Request::GetTab { .. } | Request::GetTabPanel { .. } => unreachable_view(),
        Request::GetSite { site } => Response::Site {
            site: shell.with(|t| t.site(&site).cloned()),
        },
        Request::GetSettings => Response::Settings {
            settings: shell.with(|t| t.settings().clone()),
        },
        Request::SetSettings { settings } => {
            settings.validate()?;
            store::set(store::SETTINGS, &settings).await?;
            // storage.onChanged applies it too (also for changes made elsewhere); applied now
            // so the answer reflects it.
            shell.with(|t| t.settings_changed(settings.clone(), now()));
            perform(&shell).await;
            Response::Settings { settings }
        }
        Request::ClearData => {
            clear_data(&shell).await?;
            Response::Done
        }
        Request::GetStats => {
            let mut stats = shell.with(|t| t.stats());
            stats.wasm_memory_bytes = memory_bytes();
            Response::Stats { stats }
        }
        Request::CheckNow => {
            checks::round(&shell, true).await;
            Response::Done
        }
        Request::RefreshFeeds => {
            feeds::refresh(shell.clone()).await;
            Response::Feeds {
                feeds: shell.with(|t| t.feed_status().clone()),
            }
        }
    })
}

/// What [`answer`] says to a tab's view [`tab_answer`] did not answer (it answers every one): an
/// error rather than a panic.
fn unreachable_view() -> Response {
    Response::Error {
        message: "a tab's view was not answered".to_owned(),
    }
}

/// The answer while the worker could not start.
pub(crate) fn not_started() -> Response {
    Response::Error {
        message: "the worker has not started".to_owned(),
    }
}

/// Forgets every site and host (settings and IP-range data stay), and whatever a previous
/// worker stored that this one did not load.
async fn clear_data(shell: &Rc<Shell>) -> Result<(), StoreError> {
    shell.with(|t| t.clear(now()));
    perform(shell).await;
    let mut rest = Vec::new();
    for prefix in [store::SITE_PREFIX, store::HOST_PREFIX] {
        rest.extend(store::entries(prefix).await?.into_iter().map(|(k, _)| k));
    }
    store::remove(&rest).await?;
    badge::clear_all().await;
    Ok(())
}

/// Bytes of the worker's WebAssembly memory (everything the worker's Rust side holds).
pub(crate) fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| u64::from(b.byte_length()))
}
