//! The normalized record every feed parser produces and the prefix table consumes.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// One published address range, normalized across every provider's feed format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PrefixRecord {
    /// The range, with host bits cleared.
    pub prefix: IpNet,
    /// Provider id from `data/providers.toml` (e.g. `aws`, `gcp`, `azure`).
    pub provider: String,
    /// Provider region as the feed spells it (`us-east-1`, `europe-west1`, `eastus`), if any.
    pub region: Option<String>,
    /// Provider service as the feed spells it (`EC2`, `CLOUDFRONT`, `Storage`), if any.
    pub service: Option<String>,
}

impl PrefixRecord {
    /// A record with the prefix truncated to its network address.
    pub fn new(prefix: IpNet, provider: &str, region: Option<&str>, service: Option<&str>) -> Self {
        Self {
            prefix: prefix.trunc(),
            provider: provider.to_owned(),
            region: region.filter(|r| !r.is_empty()).map(str::to_owned),
            service: service.filter(|s| !s.is_empty()).map(str::to_owned),
        }
    }
}
