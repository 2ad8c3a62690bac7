// Keep the tab the user asked for (#errors, ...): the fragment never reaches the server on its own.
const next = document.querySelector('input[name=next]');
if (next && location.hash && !next.value.includes('#')) next.value += location.hash;
