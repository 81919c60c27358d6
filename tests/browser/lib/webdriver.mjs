// A minimal W3C WebDriver client for geckodriver (plus its add-on command): enough to start
// Debian's firefox-esr headless, install the extension as a temporary add-on, open pages and run
// scripts. Raw HTTP keeps Selenium's driver-downloading manager out of the picture.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './servers.mjs';

export const FIREFOX = '/usr/bin/firefox-esr';
const home = process.env.HOME ?? '/root';
export const GECKODRIVER = process.env.GECKODRIVER ?? `${process.env.CARGO_HOME ?? `${home}/.cargo`}/bin/geckodriver`;

export async function startFirefox({ prefs = {}, profile } = {}) {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: apt-get install -y firefox-esr (cargo xtask test installs it)`);
  if (!existsSync(GECKODRIVER)) throw new Error(`${GECKODRIVER} is missing: cargo install geckodriver (cargo xtask test installs it)`);
  const port = await freePort();
  // --allow-system-access: chrome-context scripts, to open the add-on's pages (content
  // navigation to moz-extension:// is refused).
  const driver = spawn(GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1', '--allow-system-access'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('geckodriver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const args = ['-headless'];
  if (profile) args.push('-profile', profile);
  const caps = {
    capabilities: {
      alwaysMatch: {
        browserName: 'firefox',
        'moz:firefoxOptions': { binary: FIREFOX, args, prefs },
      },
    },
  };
  const created = await call(base, 'POST', '/session', caps);
  const session = new Session(base, created.sessionId, driver);
  return session;
}

async function call(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

class Session {
  constructor(base, id, driver) {
    this.base = base;
    this.id = id;
    this.driver = driver;
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  installAddon(path) {
    return this.cmd('POST', '/moz/addon/install', { path, temporary: true });
  }

  setContext(context) {
    return this.cmd('POST', '/moz/context', { context });
  }

  /** Opens a privileged URL (moz-extension://…) in a new tab and switches to it. */
  async openPrivileged(url) {
    const before = new Set(await this.handles());
    await this.setContext('chrome');
    try {
      await this.run(`
        const win = Services.wm.getMostRecentWindow('navigator:browser');
        const tab = win.gBrowser.addTab(arguments[0], { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() });
        win.gBrowser.selectedTab = tab;`, url);
    } finally {
      await this.setContext('content');
    }
    const deadline = Date.now() + 10000;
    for (;;) {
      const added = (await this.handles()).find((h) => !before.has(h));
      if (added) {
        await this.switchTo(added);
        return added;
      }
      if (Date.now() > deadline) throw new Error(`no tab opened for ${url}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  goto(url) {
    return this.cmd('POST', '/url', { url });
  }

  url() {
    return this.cmd('GET', '/url');
  }

  newTab() {
    return this.cmd('POST', '/window/new', { type: 'tab' });
  }

  switchTo(handle) {
    return this.cmd('POST', '/window', { handle });
  }

  handles() {
    return this.cmd('GET', '/window/handles');
  }

  /** Runs an async function body in the current page; `args` are its arguments. */
  run(body, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      (async (...a) => { ${body} })(...Array.from(arguments).slice(0, -1)).then(
        (v) => done({ ok: v }), (e) => done({ error: String(e && e.stack || e) }));`;
    return this.cmd('POST', '/execute/async', { script, args }).then((r) => {
      if (r && r.error) throw new Error(r.error);
      return r?.ok;
    });
  }

  async quit() {
    try {
      await this.cmd('DELETE', '');
    } finally {
      this.driver.kill();
    }
  }
}
