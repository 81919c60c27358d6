// A browsing profile of a given size, as a worker would have stored it: `site:` records with
// their dependencies and the `host:` evidence of every host they use (main hosts and
// dependencies), addresses inside the fixture feeds' ranges so every host classifies.

// AWS us-east-1, Google Cloud europe-west1, Azure eastus and Cloudflare addresses from the
// fixture feeds.
const CLOUDS = [['aws', 'us-east-1', '216.244.7'], ['gcp', 'europe-west1', '8.34.208'], ['azure', 'eastus', '4.156.0'], ['cloudflare', null, '104.16.1']];

/** What a look-up leaves for `name`: its evidence, from which the worker derives the rest. */
function evidence(name, n, now) {
  return {
    name, site: name.split('.').slice(-2).join('.'), at: now, ttl: 60,
    addresses: [`${CLOUDS[n % CLOUDS.length][2]}.${10 + (n % 200)}`], cnameChain: [], nameservers: [],
    headers: [], resolution: { status: 'ok' }, resolvedBy: 'doh',
  };
}

/**
 * `sites` sites each loading `deps` hosts of `vendors` third parties (hosts shared between
 * sites, as ad and CDN hosts are), as `{ records, hosts }`: the `site:` records and an object
 * of `host:` keys to store.
 */
export function profile({ sites, deps, vendors = 400, now = Date.now() }) {
  const hosts = {};
  const records = Array.from({ length: sites }, (_, i) => {
    const d = {};
    for (let j = 0; j < deps; j++) {
      const vendor = (i * 7 + j) % vendors;
      const host = `cdn${j}.vendor${vendor}.test`;
      d[host] = {
        site: `vendor${vendor}.test`, thirdParty: true, requests: 3, types: j % 2 ? ['image'] : ['script'],
        critical: j % 2 === 0, lastSeen: now, lastIp: null, lastOk: now, lastFailure: null, lastError: null,
      };
      hosts[`host:${host}`] ??= evidence(host, i + j, now);
    }
    hosts[`host:www.site${i}.test`] = evidence(`www.site${i}.test`, i, now);
    return {
      site: `site${i}.test`, mainHost: `www.site${i}.test`, firstSeen: now - 86_400_000, lastSeen: now - i * 1000, visits: 1,
      hosts: {}, failures: [], status: 'up', deps: d,
    };
  });
  return { records, hosts };
}
