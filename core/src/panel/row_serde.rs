//! [`Row`]'s `Serialize`, written out for its optional lines: a self-describing format (the
//! JSON of a page's message) leaves an absent line out, as a list of 250 rows would otherwise
//! carry thousands of `null`s; a format that is not (the packed view,
//! [`crate::protocol::packed`]) reads fields by position, so there every field is written.
//! The field names are the ones the derived `Deserialize` reads (camelCase).

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::Row;

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let skip_absent = serializer.is_human_readable();
        let mut s = serializer.serialize_struct("Row", 16)?;
        let line = |s: &mut S::SerializeStruct, name: &'static str, v: &Option<String>| {
            if skip_absent && v.is_none() {
                s.skip_field(name)
            } else {
                s.serialize_field(name, v)
            }
        };
        s.serialize_field("site", &self.site)?;
        s.serialize_field("mainHost", &self.main_host)?;
        line(&mut s, "badge", &self.badge)?;
        line(&mut s, "cloud", &self.cloud)?;
        line(&mut s, "hosting", &self.hosting)?;
        line(&mut s, "region", &self.region)?;
        line(&mut s, "edge", &self.edge)?;
        line(&mut s, "dns", &self.dns)?;
        line(&mut s, "dnsLine", &self.dns_line)?;
        line(&mut s, "origin", &self.origin)?;
        line(&mut s, "partly", &self.partly)?;
        line(&mut s, "also", &self.also)?;
        line(&mut s, "blame", &self.blame)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("lastSeen", &self.last_seen)?;
        s.serialize_field("visits", &self.visits)?;
        s.end()
    }
}
