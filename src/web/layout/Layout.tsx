import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { SOFTWARE } from "../../version.ts";
import { directionOf, type Locale } from "../../i18n/index.ts";
import { assetUrl } from "../kit/assets.ts";
import { LanguageSwitcher } from "./LanguageSwitcher.tsx";

export type MetaTag =
  | { readonly property: string; readonly content: string }
  | { readonly name: string; readonly content: string };

export interface LayoutProps {
  /** The page's own title; the site name is appended. */
  title: string;
  siteName: string;
  description?: string;
  /** Absolute canonical URL of the page. */
  canonical?: string;
  /** Extra `<link rel="alternate">` entries. */
  alternates?: { href: string; type?: string; title?: string; hreflang?: string }[];
  /** Open Graph (`property`) and Twitter card (`name`) tags, from src/web/sharing/share.tsx. */
  meta?: readonly MetaTag[];
  /**
   * Who is logged in: an account shows its name (linking to /account).
   * `null` or left out shows "Log in": pages kept by shared caches leave it out,
   * so their header is the same for everyone (a logged-in visitor who follows
   * "Log in" is sent on to their account).
   */
  account?: { username: string } | null;
  /** The language the page is written in (`<html lang dir>`, the switcher); English when left out. */
  locale?: Locale;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  const fullTitle = props.title === props.siteName ? props.title : `${props.title} · ${props.siteName}`;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang={props.locale ?? "en"} dir={directionOf(props.locale ?? "en")}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{fullTitle}</title>
          {props.description != null && <meta name="description" content={props.description} />}
          {props.canonical != null && <link rel="canonical" href={props.canonical} />}
          {props.alternates?.map((a) => (
            <link rel="alternate" href={a.href} type={a.type} title={a.title} hreflang={a.hreflang} />
          ))}
          {props.meta?.map((m) =>
            "property" in m ? (
              <meta property={m.property} content={m.content} />
            ) : (
              <meta name={m.name} content={m.content} />
            ),
          )}
          <meta name="color-scheme" content="light dark" />
          <link rel="stylesheet" href={assetUrl("style.css")} />
          <link rel="icon" href={assetUrl("icon.svg")} type="image/svg+xml" />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <div class="wrap">
              <a class="site-name" href="/">
                <img src={assetUrl("icon.svg")} alt="" width="28" height="28" />
                <span>{props.siteName}</span>
              </a>
              <nav aria-label="Site">
                <ul>
                  <li>
                    <a href="/">Declarations</a>
                  </li>
                  <li>
                    <a href="/strike">Strike</a>
                  </li>
                  <li>
                    <a href="/about">About</a>
                  </li>
                  <li class="account-item">
                    {props.account != null ? (
                      <a href="/account" class="account-link">
                        {props.account.username}
                      </a>
                    ) : (
                      <a href="/login" class="login-link">
                        Log in
                      </a>
                    )}
                  </li>
                </ul>
              </nav>
            </div>
          </header>
          <main id="main" class="wrap">
            {props.children}
          </main>
          <footer class="site-footer">
            <div class="wrap">
              <p class="footer-links">
                <span>
                  {props.siteName} · powered by{" "}
                  <a href="/.well-known/nodeinfo">
                    {SOFTWARE.name} {SOFTWARE.version}
                  </a>
                </span>{" "}
                · <a href="/about">About</a> · <a href="/privacy">Privacy</a> · <a href="/faq">Questions and answers</a>{" "}
                · <a href="/resources">Resources</a> · <a href="/compare">Compare</a> · <a href="/memes">Memes</a>
              </p>
              <p>No tracking, no third-party requests.</p>
              <LanguageSwitcher locale={props.locale} />
            </div>
          </footer>
        </body>
      </html>
    </>
  );
}
