// The demo shop's visit, as a person would make it: sign in, look at the items and one of them,
// put it in the basket, search, save a preference, follow an old link (a redirect chain), with
// pauses between; and a call to another site. Browsers that record it make a HAR to convert.
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const state = document.getElementById("state");

async function visit() {
  const login = await fetch("/login", {
    method: "POST",
    headers: {"Content-Type": "application/json", "Accept": "application/json"},
    body: JSON.stringify({user: "alice", password: "pw-alice"}),
  });
  const {token} = await login.json();
  await pause(700);
  const api = {"Accept": "application/json", "Authorization": "Bearer " + token, "X-Shop-Client": "web/1.0"};
  const {items} = await (await fetch("/items", {headers: api})).json();
  await pause(600);
  const item = items[1].id;
  await fetch("/items/" + item, {headers: api});
  await fetch("/_echo/basket", {
    method: "POST",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: new URLSearchParams({item: item, qty: "2", note: "gift wrap & card"}),
  });
  await pause(800);
  await fetch("/answer/search?q=blue%20shoes&page=2", {headers: {"Accept": "application/json"}});
  await fetch("/_echo/prefs", {
    method: "PUT",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({pageSize: 25, theme: "dark", item: item}),
  });
  await fetch("/redirect/2");
  // Another site (the same server under another name): analytics a load test leaves out.
  await fetch(`http://localhost:${location.port}/anything?page=shop`, {mode: "no-cors"});
  state.textContent = "done";
  window.visitDone = true;
}

visit().catch((e) => { state.textContent = "failed: " + e; window.visitFailed = String(e); });
