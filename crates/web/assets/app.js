/* 双千双师交流计划管理系统: the little script every page loads (after Bootstrap and htmx).
   No inline script anywhere: pages declare behaviour with data- attributes, read here.
   - form[data-confirm]: ask in the confirmation dialog before submitting (title and button from
     data-confirm-title / data-confirm-ok); [hx-confirm] elements get the same dialog.
   - form[data-autosubmit]: submit when one of its selects changes; its [data-autosubmit-button]
     is hidden (it stays for use without JavaScript).
   - [data-action="back"]: go back in history (the link's href is the fallback).
   - input[data-org-picker]: the organisation picker (partials/ui.html org_picker): as one types,
     the registry's names containing the text (GET /orgs/options?kind=&q=) are offered in its
     listbox; click, or arrows and Enter, choose one; Escape closes the list.
   - htmx requests carry the page's CSRF token (meta csrf-token) in X-CSRF-Token; failed htmx
     requests show a message in the flash area. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* ---------- confirmation dialog ---------- */

  function confirmDialog(message, title, okLabel, onConfirm) {
    var el = document.getElementById("confirm-modal");
    if (!el || !window.bootstrap) {
      if (window.confirm(message)) { onConfirm(); }
      return;
    }
    el.querySelector("[data-confirm-title]").textContent = title || "请确认";
    el.querySelector("[data-confirm-message]").textContent = message;
    var ok = el.querySelector("[data-confirm-ok]");
    ok.textContent = okLabel || "确定";
    var modal = window.bootstrap.Modal.getOrCreateInstance(el);
    var confirmed = false;
    var shown = false;
    /* A click during the opening animation would be dropped by Bootstrap (hide() is ignored
       while transitioning): remember it and close once the dialog is fully shown. */
    function onOk() { confirmed = true; if (shown) { modal.hide(); } }
    function onShown() {
      shown = true;
      ok.focus();
      if (confirmed) { modal.hide(); }
    }
    function onHidden() {
      ok.removeEventListener("click", onOk);
      el.removeEventListener("hidden.bs.modal", onHidden);
      if (confirmed) { onConfirm(); }
    }
    ok.addEventListener("click", onOk);
    el.addEventListener("hidden.bs.modal", onHidden);
    el.addEventListener("shown.bs.modal", onShown, { once: true });
    modal.show();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) { return; }
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    confirmDialog(form.dataset.confirm, form.dataset.confirmTitle, form.dataset.confirmOk, function () {
      form.dataset.confirmed = "1";
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });

  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute("hx-confirm")) { return; }
    event.preventDefault();
    confirmDialog(event.detail.question, elt.getAttribute("data-confirm-title"),
      elt.getAttribute("data-confirm-ok"), function () { event.detail.issueRequest(true); });
  });

  /* ---------- auto-submitting selects, back links ---------- */

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.form && target.form.hasAttribute("data-autosubmit")) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest('[data-action="back"]') : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  function init() {
    document.querySelectorAll("[data-autosubmit-button]").forEach(function (b) { b.hidden = true; });
    // A link to a field (the grid's Enter: /forms/1/rows/2/edit#f-c9) puts the caret in it.
    var id = window.location.hash.slice(1);
    var field = /^f-c\d+$/.test(id) ? document.getElementById(id) : null;
    if (field && field.matches("input, select, textarea")) {
      field.focus();
      if (field.select) field.select();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }

  /* ---------- organisation pickers ---------- */

  var pickTimer = null;

  function pickerList(input) {
    return document.getElementById(input.getAttribute("aria-controls") || "");
  }

  function closePicker(input) {
    var list = pickerList(input);
    if (list) { list.hidden = true; }
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choosePick(input, option) {
    input.value = option.dataset.name || "";
    closePicker(input);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function loadPicks(input) {
    var list = pickerList(input);
    var q = input.value.trim();
    if (!list) { return; }
    if (!q) { closePicker(input); return; }
    var url = "/orgs/options?kind=" + encodeURIComponent(input.getAttribute("data-org-picker") || "") +
      "&q=" + encodeURIComponent(q);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        if (input.value.trim() !== q) { return; }
        list.textContent = "";
        items.forEach(function (o, i) {
          var li = document.createElement("li");
          li.id = input.id + "-option-" + i;
          li.className = "org-option";
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", "false");
          li.dataset.name = o.name;
          var sub = document.createElement("span");
          sub.className = "org-option-sub";
          sub.textContent = [o.category, o.district].filter(Boolean).join(" · ");
          li.append(o.name, " ", sub);
          list.append(li);
        });
        if (!items.length) {
          var none = document.createElement("li");
          none.className = "org-option-empty";
          none.textContent = "单位名录中没有包含「" + q + "」的名称";
          list.append(none);
        }
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      })
      .catch(function () { closePicker(input); });
  }

  function isPicker(el) {
    return el instanceof HTMLInputElement && el.hasAttribute("data-org-picker");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!isPicker(input)) { return; }
    window.clearTimeout(pickTimer);
    pickTimer = window.setTimeout(function () { loadPicks(input); }, 150);
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isPicker(input)) { return; }
    var list = pickerList(input);
    if (!list || list.hidden) { return; }
    var options = Array.prototype.slice.call(list.querySelectorAll(".org-option"));
    var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!options.length) { return; }
      var next = event.key === "ArrowDown" ? Math.min(current + 1, options.length - 1) : Math.max(current - 1, 0);
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", options[next].id);
      options[next].scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();
      choosePick(input, options[current]);
    } else if (event.key === "Escape") {
      closePicker(input);
    }
  });

  /* Keep the focus in the field while an option is clicked. */
  document.addEventListener("mousedown", function (event) {
    if (event.target instanceof Element && event.target.closest(".org-options")) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var option = event.target instanceof Element ? event.target.closest(".org-option") : null;
    if (!option) { return; }
    var list = option.closest(".org-options");
    var input = list ? document.querySelector('[aria-controls="' + list.id + '"]') : null;
    if (input) { choosePick(input, option); }
  });

  document.addEventListener("focusout", function (event) {
    if (isPicker(event.target)) { closePicker(event.target); }
  });

  /* ---------- htmx: CSRF header, errors ---------- */

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });

  var messages = {
    401: "登录已过期，请重新登录",
    403: "您没有权限执行此操作，或页面已过期，请刷新后重试",
    404: "要操作的内容不存在，或您无权查看",
    409: "当前状态不允许此操作，请刷新页面查看最新状态",
    413: "上传的内容过大（单次上限 25 MB）",
    503: "系统繁忙或处理超时，请稍后重试"
  };

  function flash(message) {
    var area = document.getElementById("flash");
    if (!area) { window.alert(message); return; }
    var div = document.createElement("div");
    div.className = "alert alert-danger alert-dismissible fade show";
    div.setAttribute("role", "alert");
    var icon = document.createElement("i");
    icon.className = "bi bi-x-circle-fill";
    icon.setAttribute("aria-hidden", "true");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "关闭");
    div.append(icon, " " + message, close);
    area.prepend(div);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    flash(messages[status] || "操作未能完成（" + status + "），请稍后重试");
  });
  document.addEventListener("htmx:sendError", function () {
    flash("无法连接服务器，请检查网络后重试");
  });
})();
