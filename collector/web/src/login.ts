// Keep the hash of a shared link (#/commands?product=...) through sign-in: a redirect without a
// fragment keeps the one of the URL the form was posted to.
const form = document.querySelector<HTMLFormElement>('#login-form')
if (form && location.hash) form.action = `login${location.hash}`
