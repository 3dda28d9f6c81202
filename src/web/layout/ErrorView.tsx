export function ErrorView(props: { status: 404 | 500 | 503; message?: string }) {
  if (props.status === 503) {
    return (
      <section class="error-page">
        <h1>Cannot save right now</h1>
        <p>
          {props.message ??
            "The site cannot store anything at the moment. Nothing was recorded; please try again in a few minutes."}
        </p>
        <p>
          <a href="/">Back to the Declarations</a>
        </p>
      </section>
    );
  }
  if (props.status === 404) {
    return (
      <section class="error-page">
        <h1>Not found</h1>
        <p>{props.message ?? "There is no page at this address."}</p>
        <p>
          <a href="/">See all Declarations</a>
        </p>
      </section>
    );
  }
  return (
    <section class="error-page">
      <h1>Something went wrong</h1>
      <p>The server could not complete this request. The problem has been logged; please try again in a moment.</p>
      <p>
        <a href="/">Back to the Declarations</a>
      </p>
    </section>
  );
}
