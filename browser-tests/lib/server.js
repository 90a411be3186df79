// Starts `enamel demo` for a test file: a fresh data folder, a free loopback port, and the
// demo sign-ins read back from DIR/demo-accounts.json. Builds nothing: the binary comes from
// ENAMEL_BIN, or $CARGO_TARGET_DIR/debug/enamel (default /work/target/debug/enamel).

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where the server binary is expected. */
export function enamelBinary() {
  if (process.env.ENAMEL_BIN) {
    return process.env.ENAMEL_BIN;
  }
  const target = process.env.CARGO_TARGET_DIR || '/work/target';
  return path.join(target, 'debug', 'enamel');
}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The child's environment: ours without any ENAMEL_* variable (the server refuses unknown
 * ones, and a developer's own settings must not change what the tests see), plus `extra`.
 */
function childEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('ENAMEL_')) {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}

/**
 * With ENAMEL_BROWSER_TESTS_PG set to an administrative PostgreSQL URL (for example
 * postgres://postgres@127.0.0.1:5432/test), each server gets a database of its own there,
 * dropped when it stops; without it, the demo's own SQLite file.
 * @returns {{ url: string, drop(): void } | null}
 */
function freshPostgresDatabase() {
  const admin = process.env.ENAMEL_BROWSER_TESTS_PG;
  if (!admin) {
    return null;
  }
  const name = `enamel_bt_${randomBytes(6).toString('hex')}`;
  const psql = (sql) => {
    const r = spawnSync('psql', [admin, '-qtAc', sql], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`psql failed: ${r.stderr}`);
    }
  };
  psql(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * @typedef {{ role: string, username: string, password: string, totp_secret: string }} Account
 * @typedef {{
 *   url: string, practiceId: string, practiceName: string, dataDir: string,
 *   accountsFile: string, accountsFileMode: number, accounts: Account[],
 *   account(role: string): Account,
 *   log(): string, stop(): Promise<void>
 * }} DemoServer
 */

/**
 * Starts `enamel demo` and waits until it has written its sign-ins.
 * @param {{ env?: Record<string, string>, startTimeoutMs?: number }} [options]
 * @returns {Promise<DemoServer>}
 */
export async function startDemo({ env = {}, startTimeoutMs = 240_000 } = {}) {
  const binary = enamelBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} does not exist: build it first (cargo build -p enamel) or set ENAMEL_BIN`,
    );
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'enamel-browser-'));
  const database = freshPostgresDatabase();
  if (database) {
    env = { ...env, ENAMEL_DATABASE__URL: database.url };
  }
  const port = await freePort();
  const logFile = path.join(dataDir, 'server.log');
  const logStream = createWriteStream(logFile);
  let output = '';
  const child = spawn(
    binary,
    ['demo', '--data-dir', path.join(dataDir, 'data'), '--listen', `127.0.0.1:${port}`],
    {
      env: childEnv({ ENAMEL_SIGN_IN__SLOW_DOWN: 'false', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) {
      output = output.slice(-100_000);
    }
    logStream.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  const exitedPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  // A crashed test process must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exitedPromise, sleep(15_000).then(() => null)]);
      if (done === null) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    }
    logStream.end();
    database?.drop();
    if (!process.env.ENAMEL_BROWSER_TESTS_KEEP) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  const accountsPath = path.join(dataDir, 'data', 'demo-accounts.json');
  const deadline = Date.now() + startTimeoutMs;
  let written = null;
  while (written === null) {
    if (exited !== null) {
      await stop();
      throw new Error(`enamel demo stopped before it was ready (${JSON.stringify(exited)}):\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`enamel demo did not write ${accountsPath} within ${startTimeoutMs} ms:\n${output}`);
    }
    if (existsSync(accountsPath)) {
      try {
        written = JSON.parse(readFileSync(accountsPath, 'utf8'));
      } catch {
        written = null; // still being written
      }
    }
    if (written === null) {
      await sleep(200);
    }
  }

  const accounts = written.accounts;
  return {
    url: written.url,
    practiceId: written.practice_id,
    practiceName: written.practice_name,
    dataDir,
    accountsFile: accountsPath,
    accountsFileMode: statSync(accountsPath).mode & 0o777,
    accounts,
    account(role) {
      const found = accounts.find((a) => a.role === role);
      if (!found) {
        throw new Error(`demo-accounts.json has no ${role} account`);
      }
      return found;
    },
    log: () => output,
    stop,
  };
}
