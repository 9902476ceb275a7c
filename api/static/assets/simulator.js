const phones = document.getElementById("phones");
const thread = document.getElementById("thread");
let shown = "";

async function loadPhones() {
  const list = await (await fetch("/simulator/api/phones")).json();
  for (const p of list) {
    const option = document.createElement("option");
    option.value = p.phone;
    option.textContent = `${p.phone}  ${p.name}`;
    phones.appendChild(option);
  }
  const remembered = localStorage.getItem("simulator-phone");
  if (remembered) phones.value = remembered;
  refresh();
}

async function refresh() {
  if (!phones.value) return;
  const messages = await (await fetch("/simulator/api/thread?phone=" + encodeURIComponent(phones.value))).json();
  const key = JSON.stringify(messages.map(m => [m.direction, m.text]));
  if (key === shown) return;
  shown = key;
  thread.innerHTML = "";
  for (const m of messages) {
    const bubble = document.createElement("div");
    bubble.className = "sms " + m.direction;
    bubble.textContent = m.text;
    thread.appendChild(bubble);
  }
  thread.scrollTop = thread.scrollHeight;
}

phones.addEventListener("change", () => { localStorage.setItem("simulator-phone", phones.value); shown = ""; refresh(); });
document.getElementById("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  const error = document.getElementById("error");
  error.textContent = "";
  const response = await fetch("/simulator/api/messages", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({phone: phones.value, text: input.value}),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    error.textContent = (body.error && body.error.message) || "Could not send.";
    return;
  }
  input.value = "";
  refresh();
});
loadPhones();
setInterval(refresh, 1000);
