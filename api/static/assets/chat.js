const log = document.getElementById("log");
const statusLine = document.getElementById("status");
let conversation = JSON.parse(sessionStorage.getItem("conversation") || "null");
let seen = 0;  // messages of the stored transcript already on the page
let polling = null;

function addMessage(author, text, buttons) {
  const bubble = document.createElement("div");
  bubble.className = "msg " + author;
  bubble.dataset.author = author;
  bubble.textContent = text;
  log.appendChild(bubble);
  if (buttons && buttons.length) {
    const choices = document.createElement("div");
    choices.className = "choices";
    for (const b of buttons) {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = b.title;
      choice.onclick = () => { choices.remove(); send({payload: b.payload}, b.title); };
      choices.appendChild(choice);
    }
    log.appendChild(choices);
  }
  log.scrollTop = log.scrollHeight;
}

function showState(state) {
  statusLine.textContent = state === "human" ? "A colleague will reply in this chat." :
    state === "closed" ? "This conversation is closed." : "";
  // While a colleague holds the conversation, their replies arrive without a turn of ours.
  if (state === "human" && !polling) polling = setInterval(fetchNew, 2000);
  if (state !== "human" && polling) { clearInterval(polling); polling = null; }
}

async function fetchNew() {
  try {
    const history = await api(`/api/chat/conversations/${conversation.conversation_id}/messages`);
    for (const m of history.messages.slice(seen)) if (m.author !== "cardholder") addMessage(m.author, m.text, m.buttons);
    seen = history.messages.length;
    showState(history.state);
  } catch (e) { /* the next poll tries again */ }
}

async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json"};
  if (conversation) headers["Authorization"] = "Bearer " + conversation.token;
  const response = await fetch(path, {...options, headers});
  const body = await response.json().catch(() => ({}));
  const message = (body.error && body.error.message) || "Something went wrong.";
  // The chat's session is over (idle or open too long): only a new chat can go on.
  if (response.status === 401 && conversation) { showEnded(message); throw new Error(message); }
  if (!response.ok) throw new Error(message);
  return body;
}

function show(id) {
  for (const part of ["start", "possession", "ended", "log", "composer"]) {
    document.getElementById(part).hidden = !(part === id || (id === "chat" && (part === "log" || part === "composer")));
  }
}

function openChat() {
  show("chat");
  document.getElementById("text").focus();
}

function askForCode() {
  show("possession");
  document.getElementById("code-phone").textContent = conversation.phone || "your phone";
  document.getElementById("code").focus();
}

function showEnded(message) {
  if (polling) { clearInterval(polling); polling = null; }
  sessionStorage.removeItem("conversation");
  conversation = null;
  statusLine.textContent = "";
  document.getElementById("ended-message").textContent = message;
  show("ended");
}

async function send(body, shownText) {
  const sendButton = document.getElementById("send");
  addMessage("cardholder", shownText);
  sendButton.disabled = true;
  statusLine.textContent = "…";
  try {
    const turn = await api(`/api/chat/conversations/${conversation.conversation_id}/messages`,
      {method: "POST", body: JSON.stringify(body)});
    for (const reply of turn.replies) addMessage("bot", reply.text, reply.buttons);
    seen += 1 + turn.replies.length;
    showState(turn.state);
  } catch (error) {
    if (!conversation) return;  // the chat has ended; the page says so
    statusLine.innerHTML = "";
    const problem = document.createElement("span");
    problem.className = "error";
    problem.textContent = error.message;
    statusLine.appendChild(problem);
  } finally {
    sendButton.disabled = false;
  }
}

document.getElementById("start").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("start-error");
  error.textContent = "";
  try {
    conversation = null;
    const phone = document.getElementById("phone").value;
    const started = await api("/api/chat/conversations", {method: "POST", body: JSON.stringify({phone})});
    conversation = {conversation_id: started.conversation_id, token: started.token, phone};
    sessionStorage.setItem("conversation", JSON.stringify(conversation));
    askForCode();
  } catch (e) { error.textContent = e.message; }
});

document.getElementById("possession").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("code-error");
  error.textContent = "";
  document.getElementById("code-status").textContent = "";
  try {
    await api(`/api/chat/conversations/${conversation.conversation_id}/possession`,
      {method: "POST", body: JSON.stringify({code: document.getElementById("code").value.trim()})});
    openChat();
  } catch (e) { if (conversation) error.textContent = e.message; }
});

document.getElementById("resend").addEventListener("click", async () => {
  const error = document.getElementById("code-error");
  const sent = document.getElementById("code-status");
  error.textContent = sent.textContent = "";
  try {
    await api(`/api/chat/conversations/${conversation.conversation_id}/code`, {method: "POST"});
    sent.textContent = "We've sent a new code.";
  } catch (e) { if (conversation) error.textContent = e.message; }
});

document.getElementById("restart").addEventListener("click", () => {
  log.innerHTML = "";
  seen = 0;
  document.getElementById("start-error").textContent = "";
  show("start");
  document.getElementById("phone").focus();
});

document.getElementById("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send({text}, text);
});

(async () => {
  if (!conversation) return;
  try {
    const history = await api(`/api/chat/conversations/${conversation.conversation_id}/messages`);
    if (!history.possession_proven) { askForCode(); return; }
    openChat();
    for (const m of history.messages) addMessage(m.author, m.text, null);
    seen = history.messages.length;
    showState(history.state);
  } catch (e) {
    if (conversation) {
      sessionStorage.removeItem("conversation");
      conversation = null;
    }
  }
})();
