/**
 * The shipped nginx configuration (deploy/nginx/undersign.conf), run from a
 * temporary folder: its certificate paths, cache folder, ports and upstream
 * replaced, wrapped in a main nginx.conf that keeps every file nginx writes
 * in that folder, with a self-signed certificate made by openssl, loopback
 * only.  Used by the rehearsal (REHEARSAL_PROXY=nginx) and by
 * test/processes/nginx.test.ts.  The same nginx also serves a static file on
 * a port of its own: the baseline the proxied pages are compared with.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";

export const NGINX = "/usr/sbin/nginx";
export const SHIPPED_CONFIG = resolve(import.meta.dirname, "..", "deploy", "nginx", "undersign.conf");

export interface NginxPorts {
  /** undersign's port on 127.0.0.1. */
  readonly app: number;
  /** nginx's TLS port (the site). */
  readonly https: number;
  /** nginx's plain port (redirects to https). */
  readonly http: number;
  /** nginx's TLS port serving `static/index.html` (the baseline). */
  readonly static: number;
}

export function nginxInstalled(): boolean {
  return existsSync(NGINX);
}

/** Replaces `from` by `to` in `text`, and fails when `from` is not there exactly `count` times. */
function replaceExactly(text: string, from: string, to: string, count = 1): string {
  const found = text.split(from).length - 1;
  if (found !== count)
    throw new Error(
      `deploy/nginx/undersign.conf: expected ${count} × "${from}", found ${found}: update bench/nginx.ts`,
    );
  return text.split(from).join(to);
}

/** A self-signed certificate for 127.0.0.1 and localhost (openssl), in `dir`. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=declarations.example",
      "-addext",
      "subjectAltName=DNS:declarations.example,DNS:localhost,IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

/**
 * Writes the shipped configuration for these ports into `dir`, and the main
 * configuration around it; returns the main configuration's path.
 */
export function writeNginxConfig(dir: string, ports: NginxPorts, options: { workers?: number } = {}): string {
  mkdirSync(join(dir, "cache"), { recursive: true });
  mkdirSync(join(dir, "static"), { recursive: true });
  for (const temp of ["body", "proxy", "fastcgi", "uwsgi", "scgi"])
    mkdirSync(join(dir, "tmp", temp), { recursive: true });
  const { cert, key } = selfSignedCertificate(dir);

  let site = readFileSync(SHIPPED_CONFIG, "utf8");
  site = replaceExactly(site, "server 127.0.0.1:8000;", `server 127.0.0.1:${ports.app};`);
  site = replaceExactly(site, "/var/cache/nginx/undersign", join(dir, "cache"));
  site = replaceExactly(site, "    listen [::]:80;\n", "");
  site = replaceExactly(site, "    listen [::]:443 ssl http2;\n", "");
  site = replaceExactly(site, "listen 80;", `listen 127.0.0.1:${ports.http};`);
  site = replaceExactly(site, "listen 443 ssl http2;", `listen 127.0.0.1:${ports.https} ssl http2;`);
  site = replaceExactly(site, "/etc/letsencrypt/live/declarations.example/fullchain.pem", cert);
  site = replaceExactly(site, "/etc/letsencrypt/live/declarations.example/privkey.pem", key);
  const sitePath = join(dir, "undersign.conf");
  writeFileSync(sitePath, site);
  writeFileSync(join(dir, "static", "index.html"), "<!doctype html><title>static</title><p>A static page.</p>\n");

  const main = `# Written by bench/nginx.ts around deploy/nginx/undersign.conf.
${process.getuid?.() === 0 ? "user root root;\n" : ""}worker_processes ${options.workers ?? availableParallelism()};
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path ${join(dir, "tmp", "body")};
    proxy_temp_path ${join(dir, "tmp", "proxy")};
    fastcgi_temp_path ${join(dir, "tmp", "fastcgi")};
    uwsgi_temp_path ${join(dir, "tmp", "uwsgi")};
    scgi_temp_path ${join(dir, "tmp", "scgi")};
    keepalive_requests 100000;
    include ${sitePath};
    # The baseline: a static file over the same TLS.
    server {
        listen 127.0.0.1:${ports.static} ssl http2;
        ssl_certificate ${cert};
        ssl_certificate_key ${key};
        location / { root ${join(dir, "static")}; index index.html; }
    }
}
`;
  const mainPath = join(dir, "nginx.conf");
  writeFileSync(mainPath, main);
  return mainPath;
}

/** `nginx -t` on a main configuration: its output, or an error with it. */
export function checkNginxConfig(mainPath: string): string {
  try {
    return execFileSync(NGINX, ["-t", "-c", mainPath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new Error(`nginx -t failed:\n${e.stderr ?? ""}${e.stdout ?? ""}`);
  }
}

export interface RunningNginx {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground on `mainPath`; resolves once `readyUrl`'s port accepts connections. */
export async function startNginx(mainPath: string, port: number): Promise<RunningNginx> {
  const child = spawn(NGINX, ["-c", mainPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (output += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (output += s));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const { connect } = await import("node:net");
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode != null) throw new Error(`nginx exited at start:\n${output}`);
    const up = await new Promise<boolean>((r) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        r(true);
      });
      socket.once("error", () => r(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not listen on ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode != null || child.signalCode != null) return;
      // SIGQUIT: graceful shutdown of the master and its workers.
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
