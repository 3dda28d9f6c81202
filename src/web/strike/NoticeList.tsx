import type { RecentNotice } from "../../db/pledges.ts";

const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** Strike notices as posted: the text, the Declaration that posted it, and when (the strike page and tag pages). */
export function NoticeList(props: { notices: readonly RecentNotice[] }) {
  return (
    <ol class="strike-notices">
      {props.notices.map((n) => (
        <li>
          <p class="notice-content">{n.content}</p>
          <p class="meta">
            <a href={`/d/${n.slug}`}>{n.title}</a>
            <time datetime={n.published.toISOString()}>{dateTime.format(n.published)} UTC</time>
          </p>
        </li>
      ))}
    </ol>
  );
}
