//! RSS 2.0 status feeds (Azure status): every item listed is an open incident.

use super::{Indicator, ProviderIncident, ProviderStatus};

/// Most items an RSS status feed may list: a status feed lists current incidents, and a
/// document with thousands of items is not one.
pub(super) const MAX_RSS_ITEMS: usize = 200;

/// Deepest element nesting accepted in an RSS document (items sit at depth 3).
const MAX_RSS_DEPTH: usize = 32;

/// One `<item>` being read.
#[derive(Default)]
struct RssItem {
    title: String,
    link: String,
    pub_date: String,
    categories: Vec<String>,
}

/// RSS 2.0 (Azure status): every `<item>` of the `<channel>` is an incident the provider lists
/// now (the feed drops an incident once it is over), so any item means failing. Titles marked
/// resolved (`[RESOLVED] …`, `Resolved: …`) are left out, as in the AWS parser. Character and
/// the five XML entity references are resolved; no DTD is read, so no entity can expand.
pub(super) fn parse_rss(provider: &str, text: &str) -> Result<ProviderStatus, String> {
    use quick_xml::events::Event;
    use quick_xml::reader::Reader;
    use quick_xml::XmlVersion;

    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut saw_rss = false;
    let mut saw_channel = false;
    let mut item: Option<RssItem> = None;
    let mut items: Vec<RssItem> = Vec::new();
    // The text of the element being read inside an item, across text, CDATA and references.
    let mut field = String::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML at byte {at}: {e}"))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if path.len() >= MAX_RSS_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_RSS_DEPTH}"));
                }
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (None, "rss") => saw_rss = true,
                    (None, root) => {
                        return Err(format!("root element <{root}>, expected <rss>"));
                    }
                    (Some("rss"), "channel") => saw_channel = true,
                    (Some("channel"), "item") => {
                        if items.len() >= MAX_RSS_ITEMS {
                            return Err(format!("more than {MAX_RSS_ITEMS} items"));
                        }
                        item = Some(RssItem::default());
                    }
                    _ => {}
                }
                field.clear();
                path.push(name);
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let in_item = path.last().is_some_and(|p| p == "item");
                if let (true, Some(it)) = (in_item, item.as_mut()) {
                    let value = field.split_whitespace().collect::<Vec<_>>().join(" ");
                    match name.as_str() {
                        "title" => it.title = value,
                        "link" => it.link = value,
                        "pubdate" => it.pub_date = value,
                        "category" if !value.is_empty() => it.categories.push(value),
                        _ => {}
                    }
                } else if name == "item" {
                    items.extend(item.take());
                }
                field.clear();
            }
            Event::Text(t) => field.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => field.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => field.push(c),
                Ok(None) => match quick_xml::escape::resolve_xml_entity(&r) {
                    Some(v) => field.push_str(v),
                    // An entity only a DTD could define: kept as written.
                    None => {
                        field.push('&');
                        field.push_str(&r);
                        field.push(';');
                    }
                },
                Err(e) => return Err(format!("bad character reference &{}; ({e})", &*r)),
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(format!("document ends inside <{}>", path.join("><")));
    }
    if !saw_rss {
        return Err("no <rss> element: not an RSS document".to_owned());
    }
    if !saw_channel {
        return Err("no <channel> in <rss>".to_owned());
    }
    let incidents: Vec<ProviderIncident> = items
        .into_iter()
        .filter(|it| {
            let t = it.title.to_ascii_lowercase();
            !(t.starts_with("[resolved]")
                || t.starts_with("resolved:")
                || t.starts_with("resolved -"))
        })
        .map(|it| ProviderIncident {
            provider: provider.to_owned(),
            title: if it.title.is_empty() {
                "(no title)".to_owned()
            } else {
                it.title
            },
            // The feed gives no severity; listed at all means the provider calls it an
            // incident.
            severity: "incident".to_owned(),
            url: (!it.link.is_empty()).then_some(it.link),
            started: (!it.pub_date.is_empty()).then_some(it.pub_date),
            affected: it.categories,
        })
        .collect();
    let indicator = if incidents.is_empty() {
        Indicator::None
    } else {
        Indicator::Major
    };
    Ok(ProviderStatus::of_incidents(provider, indicator, incidents))
}
