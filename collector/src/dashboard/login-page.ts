export interface LoginPageOptions {
  /** No admin token configured: the dashboard cannot be used. */
  disabled?: boolean
  /** Why the last attempt failed. */
  error?: 'origin' | 'token'
  /** Too many wrong tokens: seconds until the next try. */
  retryAfter?: number
}

const MESSAGES = {
  disabled: 'The dashboard is disabled: start the collector with COLLECTOR_ADMIN_TOKEN set.',
  origin: 'This form must be sent from the collector’s own page.',
  token: 'That is not the admin token.',
}

/** The sign-in page. It shows no data and echoes nothing the client sent. */
export function loginPage(options: LoginPageOptions): string {
  let message = ''
  if (options.disabled) message = MESSAGES.disabled
  else if (options.retryAfter !== undefined)
    message = `Too many wrong tokens from your address: try again in ${Math.max(1, Math.round(options.retryAfter))} s.`
  else if (options.error) message = MESSAGES[options.error]

  const alert = message ? `<p class="login-error" role="alert" id="login-error">${message}</p>` : ''
  const form = options.disabled
    ? ''
    : `<form method="post" action="login" id="login-form">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required minlength="1"
        ${message ? 'aria-describedby="login-error" aria-invalid="true"' : ''} autofocus>
      <button type="submit">Sign in</button>
    </form>`
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in · Telemetry dashboard</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="dashboard/app.css">
  <script type="module" src="dashboard/login.js"></script>
</head>
<body class="login">
  <main class="login-box">
    <h1>Telemetry dashboard</h1>
    <p>Sign in with the collector’s admin token (<code>COLLECTOR_ADMIN_TOKEN</code>).</p>
    ${alert}
    ${form}
  </main>
</body>
</html>
`
}
