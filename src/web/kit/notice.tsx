/**
 * A message at the top of a page after an action: green when it reports
 * something that worked (`.notice.success`), the plain `.notice` when it
 * warns or refuses.  A page whose one message slot carries both says which
 * each time, so a refusal is never shown in the colour of success.
 */

export type NoticeTone = "success" | "warning";

export interface Notice {
  readonly text: string;
  readonly tone: NoticeTone;
}

export function success(text: string): Notice {
  return { text, tone: "success" };
}

export function warning(text: string): Notice {
  return { text, tone: "warning" };
}

/** The class of a message in this tone. */
export function noticeClass(tone: NoticeTone): string {
  return tone === "success" ? "notice success" : "notice";
}

/** The message, announced politely to screen readers; nothing when there is none. */
export function StatusNotice(props: { notice: Notice | undefined }) {
  if (props.notice == null) return null;
  return (
    <p class={noticeClass(props.notice.tone)} role="status">
      {props.notice.text}
    </p>
  );
}
