// Start the real backend once for all end-to-end tests: `memory-mesh serve` on the
// embedded defaults (its own PostgreSQL + pgvector, the local embedding model), a fresh
// data directory, any free port, and the built dashboard (frontend/out) served at /.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const STARTUP_TIMEOUT_MS = 180_000;

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`memory-mesh serve did not start:\n${seen.slice(-3000)}`)), STARTUP_TIMEOUT_MS);
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", look);
    child.stderr?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`memory-mesh serve exited with ${code}:\n${seen.slice(-3000)}`));
    });
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = path.resolve(__dirname, "..");
  const out = path.join(root, "out");
  if (!existsSync(path.join(out, "index.html"))) {
    throw new Error("the dashboard is not built: run `npm run build` first");
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "memory-mesh-e2e-"));
  mkdirSync(path.join(root, "test-results"), { recursive: true });
  const log = createWriteStream(path.join(root, "test-results", "server.log"));

  const child = spawn(process.env.MEMORY_MESH_BIN ?? "memory-mesh", ["serve"], {
    env: {
      ...process.env,
      MEMORY_ENVIRONMENT: "development",
      MEMORY_DATA_DIR: dataDir,
      MEMORY_HOST: "127.0.0.1",
      MEMORY_PORT: "0",
      MEMORY_DASHBOARD_DIR: out,
      MEMORY_DATABASE_URL: "",
      MEMORY_REDIS_URL: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  let url: string;
  try {
    url = await waitForUrl(child);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  // workers inherit this environment
  process.env.MM_BASE_URL = url;
  console.log(`memory-mesh serve is up at ${url} (log: test-results/server.log)`);

  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
