/* Headframe dashboard: reads /api/v1 (docs/stats-api.md) and fills the pool
 * and user pages; refreshes every 30 s. Charts with Chart.js when it loaded
 * (Debian's libjs-chart.js, served by statsapi), else a note. */
"use strict";
var hf = (function () {
  var REFRESH = 30000, chart = null;

  function fmtHash(h) {
    var u = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s"], i = 0;
    h = Number(h) || 0;
    while (h >= 1000 && i < u.length - 1) { h /= 1000; i++; }
    return h.toFixed(h >= 100 ? 0 : 2) + " " + u[i];
  }
  function fmtTime(t) {
    if (!t) return "-";
    return new Date(t * 1000).toLocaleString();
  }
  function fmtAgo(t, now) {
    if (!t) return "never";
    var s = Math.max(0, now - t);
    if (s < 120) return s + " s ago";
    if (s < 7200) return Math.round(s / 60) + " min ago";
    if (s < 172800) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " days ago";
  }
  function fmtDur(s) {
    if (s === null || s === undefined) return "-";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 172800) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " days";
  }
  function pct(x) { return (Number(x) || 0).toFixed(2) + " %"; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function cards(list) {
    var c = document.getElementById("cards");
    c.textContent = "";
    list.forEach(function (kv) {
      var d = el("div", undefined, "card");
      d.setAttribute("data-key", kv[2] || "");
      d.appendChild(el("div", kv[0], "k"));
      d.appendChild(el("div", kv[1], "v"));
      c.appendChild(d);
    });
  }
  function get(url) {
    return fetch(url, {cache: "no-store"}).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || r.status);
        return j;
      });
    });
  }
  function finder() {
    document.getElementById("find").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var u = document.getElementById("who").value.trim();
      if (u) location.href = "/user/" + encodeURIComponent(u);
    });
  }
  function updated(j) {
    document.getElementById("updated").textContent =
      "Data read " + fmtTime(j.updated) + (j.loading ? " (still loading)" : "") +
      "; this page refreshes every 30 s.";
  }
  function drawChart(series, title) {
    var canvas = document.getElementById("chart");
    if (typeof Chart === "undefined") {
      canvas.parentNode.textContent = "Charts need chart.min.js (libjs-chart.js).";
      return;
    }
    var labels = [], data = [];
    for (var i = 0; i < series.hashrate.length; i++) {
      var d = new Date((series.start + i * series.step) * 1000);
      labels.push(series.step === 60 ? d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})
                                     : d.toLocaleDateString([], {month: "short", day: "numeric"}) +
                                       " " + d.getHours() + "h");
      data.push(series.hashrate[i]);
    }
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "line",
      data: {labels: labels, datasets: [{label: title, data: data, borderColor: "#2f6fd6",
             backgroundColor: "#2f6fd633", fill: true, pointRadius: 0, borderWidth: 1.5}]},
      options: {animation: false, maintainAspectRatio: false, responsive: true,
                plugins: {legend: {display: false},
                          tooltip: {callbacks: {label: function (c) { return fmtHash(c.parsed.y); }}}},
                scales: {x: {ticks: {maxTicksLimit: 8}},
                         y: {beginAtZero: true, ticks: {callback: function (v) { return fmtHash(v); }}}}}
    });
  }

  function poolPage() {
    finder();
    function load() {
      get("/api/v1/pool").then(function (p) {
        cards([["Hashrate 10 min", fmtHash(p.hashrate["10m"]), "hashrate_10m"],
               ["Hashrate 1 h", fmtHash(p.hashrate["1h"]), "hashrate_1h"],
               ["Hashrate 24 h", fmtHash(p.hashrate["24h"]), "hashrate_24h"],
               ["Workers online", String(p.workers_alive), "workers_alive"],
               ["Users online", String(p.users_alive), "users_alive"],
               ["Connections", String(p.connections), "connections"],
               ["Accepted 24 h", String(p.accepted), "accepted"],
               ["Rejected 24 h", String(p.rejected) + " (" + pct(p.pool_rejected_percent) + ")",
                "rejected"],
               ["Network difficulty", String(p.network.difficulty), "network_difficulty"],
               ["Height", String(p.network.height === null ? "-" : p.network.height), "height"],
               ["Expected time to a block", fmtDur(p.expected_block_seconds), "expected"],
               ["Blocks found", String(p.blocks.total), "blocks_total"]]);
        var tb = document.querySelector("#blocks tbody");
        tb.textContent = "";
        p.blocks.recent.forEach(function (b) {
          var tr = el("tr");
          tr.appendChild(el("td", fmtTime(b.time)));
          tr.appendChild(el("td", b.finder));
          tr.appendChild(el("td", b.hash.slice(0, 16) + "…"));
          tr.appendChild(el("td", b.height === null ? "-" : String(b.height)));
          tr.appendChild(el("td", b.status));
          tr.appendChild(el("td", b.confirmations === null ? "-" : String(b.confirmations)));
          tb.appendChild(tr);
        });
        updated(p);
      }).catch(function (e) { cards([["Error", String(e.message || e)]]); });
      get("/api/v1/series?res=minute").then(function (s) { drawChart(s, "pool"); })
        .catch(function () {});
    }
    load();
    setInterval(load, REFRESH);
  }

  function userPage() {
    finder();
    var user = decodeURIComponent(location.pathname.replace(/^\/user\//, ""));
    document.getElementById("title").textContent = user;
    document.title = "Headframe: " + user;
    function res() { return document.querySelector("input[name=res]:checked").value; }
    function loadChart() {
      get("/api/v1/series?user=" + encodeURIComponent(user) + "&res=" + res())
        .then(function (s) { drawChart(s, user); }).catch(function () {});
    }
    function load() {
      get("/api/v1/users/" + encodeURIComponent(user)).then(function (u) {
        cards([["Hashrate 10 min", fmtHash(u.hashrate["10m"]), "hashrate_10m"],
               ["Hashrate 1 h", fmtHash(u.hashrate["1h"]), "hashrate_1h"],
               ["Hashrate 24 h", fmtHash(u.hashrate["24h"]), "hashrate_24h"],
               ["Workers online", u.workers_alive + " / " + u.workers_total, "workers"],
               ["Accepted 24 h", String(u.accepted), "accepted"],
               ["Rejected 24 h", String(u.rejected), "rejected"],
               ["Stale 24 h", pct(u.pool_stale_percent), "stale_percent"],
               ["Last share", fmtAgo(u.last_share, u.time), "last_share"]]);
        var tb = document.querySelector("#workers tbody");
        tb.textContent = "";
        u.workers.forEach(function (w) {
          var tr = el("tr");
          tr.setAttribute("data-worker", w.name);
          tr.appendChild(el("td", w.name || "(no worker name)"));
          tr.appendChild(el("td", w.alive ? "online" : "offline", w.alive ? "alive" : "dead"));
          tr.appendChild(el("td", fmtHash(w.hashrate["10m"])));
          tr.appendChild(el("td", fmtHash(w.hashrate["1h"])));
          tr.appendChild(el("td", fmtHash(w.hashrate["24h"])));
          tr.appendChild(el("td", String(w.accepted)));
          tr.appendChild(el("td", String(w.rejected)));
          tr.appendChild(el("td", pct(w.pool_stale_percent)));
          tr.appendChild(el("td", pct(w.pool_rejected_percent)));
          tr.appendChild(el("td", fmtAgo(w.last_share, u.time)));
          tb.appendChild(tr);
        });
        updated(u);
      }).catch(function (e) { cards([["Error", String(e.message || e)]]); });
      loadChart();
    }
    document.querySelectorAll("input[name=res]").forEach(function (r) {
      r.addEventListener("change", loadChart);
    });
    load();
    setInterval(load, REFRESH);
  }
  return {poolPage: poolPage, userPage: userPage, fmtHash: fmtHash};
})();
