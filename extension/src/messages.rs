//! The one message switch: a page's `Request` in, a `Response` out. Views are the tracker's
//! pure functions; only settings, "clear data", checks and refreshes do I/O here.

use std::rc::Rc;

use onebasket::protocol::{Request, Response};
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings::now;
use crate::shell::{perform, Shell};
use crate::{badge, checks, feeds, store};

/// Answers a page's request.
pub async fn on_message(shell: Rc<Shell>, message: JsValue) -> Response {
    let request = match store::from_js::<Request>(message) {
        Ok(r) => r,
        Err(e) => {
            return Response::Error {
                message: format!("unknown request: {e}"),
            }
        }
    };
    match request {
        Request::GetOverview => Response::Overview {
            overview: shell.with(|t| t.overview(now())),
        },
        Request::GetPopup { query } => Response::Popup {
            popup: shell.with(|t| t.popup_view(&query, now())),
        },
        Request::GetDashboard { query } => Response::Dashboard {
            dashboard: shell.with(|t| t.dashboard_view(&query, now())),
        },
        Request::GetExport { format } => Response::Export {
            format,
            text: shell.with(|t| t.export(format, now())),
        },
        Request::GetOptions => Response::Options {
            options: shell.with(|t| t.options_view(now())),
        },
        Request::GetTab { url } => Response::Tab {
            tab: shell.with(|t| t.tab_view(&url, now())),
        },
        Request::GetSite { site } => Response::Site {
            site: shell.with(|t| t.site(&site).cloned()),
        },
        Request::GetSettings => Response::Settings {
            settings: shell.with(|t| t.settings().clone()),
        },
        Request::SetSettings { settings } => {
            if let Err(e) = settings.validate() {
                return Response::Error {
                    message: e.to_string(),
                };
            }
            if let Err(e) = store::set(store::SETTINGS, &settings).await {
                return Response::Error {
                    message: e.to_string(),
                };
            }
            // storage.onChanged applies it too (also for changes made elsewhere); applied now
            // so the answer reflects it.
            shell.with(|t| t.settings_changed(settings.clone(), now()));
            perform(&shell).await;
            Response::Settings { settings }
        }
        Request::ClearData => clear_data(&shell).await,
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
    }
}

/// The answer while the worker could not start.
pub fn not_started() -> Response {
    Response::Error {
        message: "the worker has not started".to_owned(),
    }
}

/// Forgets every site and host (settings and IP-range data stay), and whatever a previous
/// worker stored that this one did not load.
async fn clear_data(shell: &Rc<Shell>) -> Response {
    shell.with(|t| t.clear(now()));
    perform(shell).await;
    let mut rest = Vec::new();
    for prefix in [store::SITE_PREFIX, store::HOST_PREFIX] {
        match store::entries(prefix).await {
            Ok(entries) => rest.extend(entries.into_iter().map(|(k, _)| k)),
            Err(e) => {
                return Response::Error {
                    message: e.to_string(),
                }
            }
        }
    }
    match store::remove(&rest).await {
        Ok(()) => {
            badge::clear_all().await;
            Response::Done
        }
        Err(e) => Response::Error {
            message: e.to_string(),
        },
    }
}

/// Bytes of the worker's WebAssembly memory (everything the worker's Rust side holds).
fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| u64::from(b.byte_length()))
}
