// A progress bar that follows its job: every 3 s the JSON at data-progress gives {status, done, total, label};
// once the job is no longer building, the page is loaded again to show what it made.
document.addEventListener("DOMContentLoaded", () => {
  const holder = document.querySelector("[data-progress]");
  if (!holder) return;
  const bar = holder.querySelector("progress"), label = holder.querySelector("label");
  const look = async () => {
    try {
      const state = await (await fetch(holder.dataset.progress, {headers: {Accept: "application/json"}})).json();
      if (state.status !== "building") { window.location.reload(); return; }
      bar.max = state.total; bar.value = state.done; label.textContent = state.label;
    } catch (error) { /* the next look tries again */ }
    setTimeout(look, 3000);
  };
  setTimeout(look, 3000);
});
