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
  if (!response.ok) throw new Error((body.error && body.error.message) || "Something went wrong.");
  return body;
}

function openChat() {
  document.getElementById("start").hidden = true;
  log.hidden = false;
  document.getElementById("composer").hidden = false;
  document.getElementById("text").focus();
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
    conversation = await api("/api/chat/conversations",
      {method: "POST", body: JSON.stringify({phone: document.getElementById("phone").value})});
    sessionStorage.setItem("conversation", JSON.stringify(conversation));
    openChat();
  } catch (e) { error.textContent = e.message; }
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
    openChat();
    for (const m of history.messages) addMessage(m.author, m.text, null);
    seen = history.messages.length;
    showState(history.state);
  } catch (e) {
    sessionStorage.removeItem("conversation");
    conversation = null;
  }
})();
