// The interactive part of the report: every figure of the overview, the drill-down pages, the day view, search
// and the year reviews, computed in the browser from the aggregates embedded in the page (no network, no server).
// Charts are plain SVG strings: no library to bundle, nothing to fetch.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const F = D.facts;
  const N = F.d.length;
  const DAY_MS = 86400000;
  const base = Date.parse(D.base + "T00:00:00Z");
  const day = new Int32Array(N);
  for (let i = 0, acc = 0; i < N; i++) { acc += F.d[i]; day[i] = acc; }
  const L = F.l.length ? F.l : new Uint8Array(N), H = F.h, I = F.i, P = F.n, SK = F.sk, SKN = F.skn;
  const items = D.items, artists = D.artists, albums = D.albums, shows = D.shows, genres = D.genres;
  const many = D.listeners.length > 1;
  // Milliseconds are stored as the difference from n plays of the item's usual length (mostly 0: full plays).
  const MS = new Float64Array(N);
  for (let r = 0; r < N; r++) MS[r] = F.ms[r] + P[r] * items[I[r]][5];
  const $ = (id) => document.getElementById(id);
  const state = { period: "all", from: 0, to: N ? day[N - 1] : 0, listener: -1 };

  // ------------------------------------------------------------------ formatting
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const int = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const minutes = (ms) => int(ms / 60000);
  const hours = (ms) => (ms / 3600000).toFixed(1).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) + "%" : "–");
  const dayStr = (k) => new Date(base + k * DAY_MS).toISOString().slice(0, 10);
  const dayNum = (s) => Math.round((Date.parse(s + "T00:00:00Z") - base) / DAY_MS);
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const nice = (k) => { const d = new Date(base + k * DAY_MS); return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear(); };
  const listenerName = (l) => {
    if (l >= 0) return "listener " + D.listeners[l];
    return many ? "all listeners" : D.listeners.length ? "listener " + D.listeners[0] : "no listener yet";
  };

  // ------------------------------------------------------------------ names and links
  const itemName = (i) => { const it = items[i]; return it[2] >= 0 ? it[1] + " · " + artists[it[2]][0] : it[1]; };
  const albumName = (a) => albums[a][0] + " · " + artists[albums[a][1]][0];
  const link = (kind, idx, text) => '<a class="drill" href="#/' + kind + "/" + idx + '">' + esc(text) + "</a>";
  const itemLink = (i) => {
    const it = items[i];
    if (it[0] === "e") return link("track", i, it[1]) + (it[4] >= 0 ? ' <small>' + link("show", it[4], shows[it[4]]) + "</small>" : "");
    return link("track", i, it[1]) + (it[2] >= 0 ? " <small>" + link("artist", it[2], artists[it[2]][0]) + "</small>" : "");
  };
  const dayLink = (k, text) => '<a class="drill" href="#/day/' + dayStr(k) + '">' + esc(text || nice(k)) + "</a>";

  // ------------------------------------------------------------------ aggregation
  function lowerBound(k) { let lo = 0, hi = N; while (lo < hi) { const m = (lo + hi) >> 1; if (day[m] < k) lo = m + 1; else hi = m; } return lo; }

  function lastDay(listener) {
    if (listener < 0) return N ? day[N - 1] : 0;
    for (let r = N - 1; r >= 0; r--) if (L[r] === listener) return day[r];
    return 0;
  }

  function range() {
    const last = lastDay(state.listener);
    const p = state.period;
    if (p === "4w") return [last - 27, last];
    if (p === "6m") return [last - 181, last];
    if (p === "custom") return [state.from, state.to];
    if (/^\d{4}$/.test(p)) return [dayNum(p + "-01-01"), dayNum(p + "-12-31")];
    return [N ? day[0] : 0, N ? day[N - 1] : 0];
  }

  // Sums over the facts of one listener (or all) whose day is in [a, b] and that pass `keep(item)`. Sums go to
  // typed arrays indexed by item and day (no hashing per row); the maps of the touched keys are built at the end.
  const nItems = items.length, nDays = N ? day[N - 1] + 1 : 1, nListeners = D.listeners.length;
  const itemSum = new Float64Array(nItems * 4), daySum = new Float64Array(nDays * 2), listenerSum = new Float64Array(nListeners * 2 + 2);
  function aggregate(a, b, listener, keep) {
    const agg = { plays: 0, ms: 0, sk: 0, skn: 0, items: new Map(), days: new Map(), hours: new Float64Array(24), hourPlays: new Int32Array(24), listeners: new Map() };
    const touchedItems = [], touchedDays = [];
    itemSum.fill(0); daySum.fill(0); listenerSum.fill(0);
    for (let r = lowerBound(a); r < N && day[r] <= b; r++) {
      if (listener >= 0 && L[r] !== listener) continue;
      const it = I[r];
      if (keep && !keep(it)) continue;
      const n = P[r], ms = MS[r], k = day[r];
      agg.plays += n; agg.ms += ms; agg.sk += SK[r]; agg.skn += SKN[r];
      if (itemSum[it * 4] === 0) touchedItems.push(it);
      itemSum[it * 4] += n; itemSum[it * 4 + 1] += ms; itemSum[it * 4 + 2] += SK[r]; itemSum[it * 4 + 3] += SKN[r];
      if (daySum[k * 2] === 0) touchedDays.push(k);
      daySum[k * 2] += n; daySum[k * 2 + 1] += ms;
      agg.hours[H[r]] += ms; agg.hourPlays[H[r]] += n;
      listenerSum[L[r] * 2] += n; listenerSum[L[r] * 2 + 1] += ms;
    }
    for (const it of touchedItems) agg.items.set(it, [itemSum[it * 4], itemSum[it * 4 + 1], itemSum[it * 4 + 2], itemSum[it * 4 + 3]]);
    for (const k of touchedDays) agg.days.set(k, [daySum[k * 2], daySum[k * 2 + 1]]);
    for (let l = 0; l < nListeners; l++) if (listenerSum[l * 2]) agg.listeners.set(l, [listenerSum[l * 2], listenerSum[l * 2 + 1]]);
    return agg;
  }

  // Roll item sums up to artists (slot 2), albums (3), shows (4) or genres; ranked by minutes, plays, name.
  function rollup(agg, kind) {
    const sums = new Map();
    const add = (key, v) => { let s = sums.get(key); if (!s) { s = [0, 0]; sums.set(key, s); } s[0] += v[0]; s[1] += v[1]; };
    for (const [it, v] of agg.items) {
      const row = items[it];
      if (kind === "track") { if (row[0] === "t") add(it, v); }
      else if (kind === "artist") { if (row[2] >= 0) add(row[2], v); }
      else if (kind === "album") { if (row[3] >= 0) add(row[3], v); }
      else if (kind === "show") { if (row[4] >= 0) add(row[4], v); }
      else if (kind === "genre") { if (row[2] >= 0) for (const g of artists[row[2]][1]) add(g, v); }
    }
    const name = { track: itemName, artist: (a) => artists[a][0], album: albumName, show: (s) => shows[s], genre: (g) => genres[g] }[kind];
    const out = [];
    for (const [key, s] of sums) out.push({ key, plays: s[0], ms: s[1], name: null });
    // Names are built only for ties and for the rows shown: a decade has tens of thousands of tracks.
    const nm = (x) => (x.name === null ? (x.name = name(x.key)) : x.name);
    out.sort((x, y) => y.ms - x.ms || y.plays - x.plays || (nm(x) < nm(y) ? -1 : nm(x) > nm(y) ? 1 : 0));
    for (let j = 0; j < Math.min(out.length, 15); j++) nm(out[j]);
    return out;
  }

  function streak(agg) {
    const ds = [...agg.days.keys()].sort((x, y) => x - y);
    let best = null, start = 0;
    for (let j = 0; j < ds.length; j++) {
      if (j === 0 || ds[j] !== ds[j - 1] + 1) start = ds[j];
      const len = ds[j] - start + 1;
      if (!best || len > best.days) best = { days: len, start, end: ds[j] };
    }
    return best;
  }

  function biggestDay(agg) {
    let best = null;
    for (const [k, v] of agg.days) if (!best || v[1] > best.ms || (v[1] === best.ms && k < best.day)) best = { day: k, ms: v[1], plays: v[0] };
    return best;
  }

  // ------------------------------------------------------------------ SVG charts
  function bars(values, labels, opts) {
    const W = 900, Hh = opts.height || 220, padL = 52, padB = 26, padT = 10;
    const max = Math.max(1, ...values);
    const n = values.length, bw = (W - padL - 8) / Math.max(1, n);
    const unit = opts.unit || "";
    const ticks = [0, 0.5, 1].map((f) => f * max);
    let s = '<svg viewBox="0 0 ' + W + " " + Hh + '" role="img" aria-label="' + esc(opts.title) + '" class="chart">';
    for (const t of ticks) {
      const y = padT + (Hh - padT - padB) * (1 - t / max);
      s += '<line x1="' + padL + '" x2="' + W + '" y1="' + y + '" y2="' + y + '" class="grid"/>';
      s += '<text x="' + (padL - 6) + '" y="' + (y + 4) + '" class="tick" text-anchor="end">' + int(t) + "</text>";
    }
    const every = Math.max(1, Math.ceil(n / 12));
    for (let j = 0; j < n; j++) {
      const h = ((Hh - padT - padB) * values[j]) / max;
      const x = padL + j * bw;
      const cls = opts.target ? ' class="bar clickable" data-target="' + esc(opts.target(j)) + '"' : ' class="bar"';
      s += "<rect" + cls + ' x="' + (x + bw * 0.1).toFixed(1) + '" y="' + (Hh - padB - h).toFixed(1) + '" width="' + Math.max(0.8, bw * 0.8).toFixed(1) + '" height="' + h.toFixed(1) + '">';
      s += "<title>" + esc(labels[j] + ": " + int(values[j]) + " " + unit) + "</title></rect>";
      if (j % every === 0) s += '<text x="' + (x + bw / 2).toFixed(1) + '" y="' + (Hh - 8) + '" class="tick" text-anchor="middle">' + esc(opts.short ? opts.short(j) : labels[j]) + "</text>";
    }
    return s + "</svg>";
  }

  function timeline(agg, a, b) {
    const span = b - a + 1;
    const unit = span <= 92 ? "day" : span <= 400 ? "week" : "month";
    const keys = [], vals = [], labels = [], targets = [];
    const bucket = (k) => {
      if (unit === "day") return k;
      if (unit === "week") { const wd = (new Date(base + k * DAY_MS).getUTCDay() + 6) % 7; return k - wd; }
      const d = new Date(base + k * DAY_MS); return d.getUTCFullYear() * 12 + d.getUTCMonth();
    };
    const sums = new Map();
    for (const [k, v] of agg.days) sums.set(bucket(k), (sums.get(bucket(k)) || 0) + v[1]);
    const first = bucket(a), last = bucket(b);
    const step = unit === "week" ? 7 : 1;
    for (let k = first; k <= last; k += step) {
      keys.push(k); vals.push((sums.get(k) || 0) / 60000);
      if (unit === "month") {
        const y = Math.floor(k / 12), m = k % 12;
        labels.push(MONTHS[m] + " " + y);
        targets.push("month:" + y + "-" + String(m + 1).padStart(2, "0"));
      } else { labels.push((unit === "week" ? "week of " : "") + dayStr(k)); targets.push(unit === "day" ? "day:" + dayStr(k) : "week:" + dayStr(k)); }
    }
    return { unit, svg: bars(vals, labels, { title: "Minutes per " + unit, unit: "min", target: (j) => targets[j], short: (j) => (unit === "month" ? labels[j].replace(/^(\w+) (\d+)$/, (x, mo, y) => (mo === "Jan" || j === 0 ? mo + " " + y : mo)) : labels[j].replace("week of ", "").slice(5)) }) };
  }

  function hourChart(agg) {
    const vals = [...agg.hours].map((x) => x / 60000);
    const labels = vals.map((_, h) => String(h).padStart(2, "0") + ":00");
    return bars(vals, labels, { title: "Minutes by hour of day", unit: "min", height: 180, short: (h) => String(h) });
  }

  function topTable(list, kind, limit, id) {
    if (!list.length) return '<p class="empty">Nothing in this period.</p>';
    const max = list[0].ms || 1;
    let s = '<table class="top" id="' + id + '"><tbody>';
    list.slice(0, limit).forEach((row, j) => {
      const label = kind === "genre" ? esc(row.name) : kind === "track" ? itemLink(row.key) : link(kind, row.key, row.name);
      s += '<tr><td class="rank">' + (j + 1) + '</td><td class="name">' + label + '<span class="barline" style="width:' + ((100 * row.ms) / max).toFixed(1) + '%"></span></td>' +
        '<td class="n" data-col="minutes">' + minutes(row.ms) + ' min</td><td class="n" data-col="plays">' + int(row.plays) + " plays</td></tr>";
    });
    return s + "</tbody></table>";
  }

  // ------------------------------------------------------------------ overview
  function kpi(key, value, label, sub) {
    return '<div class="kpi" data-kpi="' + key + '"><b>' + value + "</b><small>" + esc(label) + "</small>" + (sub ? '<span class="sub">' + sub + "</span>" : "") + "</div>";
  }

  function renderOverview() {
    const [a, b] = range();
    const agg = aggregate(a, b, state.listener, null);
    const top = { artist: rollup(agg, "artist"), track: rollup(agg, "track"), album: rollup(agg, "album"), show: rollup(agg, "show"), genre: rollup(agg, "genre") };
    const st = streak(agg), big = biggestDay(agg);
    $("period-label").textContent = !N ? "no plays yet" : (agg.plays ? nice(a) + " – " + nice(b) : "no plays in " + nice(a) + " – " + nice(b)) + " · " + listenerName(state.listener);
    const topKpi = (kind, label) => {
      const t = top[kind][0];
      if (!t) return kind === "genre" && !genres.length ? "" : kpi("top-" + kind, "–", label);
      const text = kind === "genre" ? esc(t.name) : kind === "track" ? link("track", t.key, itemName(t.key)) : link(kind, t.key, t.name);
      return kpi("top-" + kind, text, label, minutes(t.ms) + " min · " + int(t.plays) + " plays");
    };
    $("kpis").innerHTML =
      kpi("hours", hours(agg.ms), "hours", minutes(agg.ms) + " minutes") +
      kpi("plays", int(agg.plays), "plays") +
      kpi("artists", int(top.artist.length), "artists") +
      kpi("tracks", int(top.track.length), "tracks") +
      kpi("albums", int(top.album.length), "albums") +
      topKpi("artist", "top artist") + topKpi("track", "top track") + topKpi("album", "top album") +
      (shows.length ? topKpi("show", "top show") : "") + topKpi("genre", "top genre") +
      kpi("streak", st ? int(st.days) + " days" : "–", "longest streak", st ? nice(st.start) + " – " + nice(st.end) : "") +
      kpi("biggest-day", big ? dayLink(big.day) : "–", "biggest day", big ? minutes(big.ms) + " min · " + int(big.plays) + " plays" : "");
    const tl = timeline(agg, a, b);
    $("timeline-title").textContent = "Minutes per " + tl.unit;
    $("timeline").innerHTML = tl.svg;
    $("hours").innerHTML = hourChart(agg);
    for (const kind of ["artist", "track", "album", "show", "genre"]) {
      const box = $("top-" + kind);
      if (!box) continue;
      box.closest(".card").hidden = (kind === "show" && !shows.length) || (kind === "genre" && !genres.length);
      box.innerHTML = topTable(top[kind], kind, 10, "table-top-" + kind);
    }
    const lc = $("listeners-card");
    lc.hidden = !many || state.listener >= 0;
    if (!lc.hidden) {
      const rows = [...agg.listeners.entries()].sort((x, y) => y[1][1] - x[1][1]);
      $("listeners").innerHTML = '<table class="top"><tbody>' + rows.map(([l, v]) =>
        '<tr><td class="name">' + esc(D.listeners[l]) + '</td><td class="n">' + hours(v[1]) + ' h</td><td class="n">' + int(v[0]) + ' plays</td><td class="n">' + pct(v[1], agg.ms) + "</td></tr>").join("") + "</tbody></table>";
    }
    renderYears();
  }

  // ------------------------------------------------------------------ year in review
  function renderYears() {
    const scope = state.listener >= 0 && many ? D.listeners[state.listener] : "*";
    const reviews = D.reviews.filter((r) => r.scope === scope).sort((x, y) => y.year - x.year);
    const list = (r, kind, label) => {
      const rows = (r.top[kind] || []);
      if (!rows.length) return "";
      return "<div><h4>" + label + "</h4><ol>" + rows.map((t) => "<li>" + esc(t[0]) + " <small>" + int(t[1]) + " min</small></li>").join("") + "</ol></div>";
    };
    const share = (n, known, label) => (known ? "<li><b>" + pct(n, known) + "</b> " + label + "</li>" : "");
    $("years-list").innerHTML = reviews.map((r) => {
      const card = r.card ? '<a class="files" href="' + esc(r.card) + '">Shareable card: ' + esc(r.card) + "</a>" : "";
      const age = r.median_release_year ? "<li><b>" + r.median_release_year + "</b> listening age: the median release year of the tracks played; favourite era " + r.favourite_era_start + "–" + (r.favourite_era_start + 4) + "</li>" : "";
      return '<article class="card year" id="year-' + r.year + '" data-year="' + r.year + '"><h3>' + r.year + ' in review</h3>' +
        '<div class="yearkpis">' + kpi("year-minutes", int(r.minutes), "minutes") + kpi("year-plays", int(r.plays), "plays") +
        kpi("year-artists", int(r.artists), "artists") + kpi("year-discovered", int(r.artists_discovered), "artists discovered") +
        kpi("year-biggest-day", dayLink(dayNum(r.biggest_day)), "biggest day", int(r.biggest_day_minutes) + " min") +
        kpi("year-streak", int(r.streak_days) + " days", "longest streak", r.streak_start + " – " + r.streak_end) + "</div>" +
        '<div class="yeartops">' + list(r, "artist", "Top artists") + list(r, "track", "Top tracks") + list(r, "album", "Top albums") + list(r, "show", "Top shows") + list(r, "genre", "Top genres") + "</div>" +
        '<ul class="shares">' + age + share(r.chosen, r.reason_known, "of plays chosen (clicked, play button, another device), " + pct(r.autoplayed, r.reason_known) + " autoplayed") +
        share(r.shuffled, r.shuffle_known, "shuffled") + share(r.skipped, r.skip_known, "skipped") + share(r.offline, r.offline_known, "played offline") + "</ul>" + card + "</article>";
    }).join("") || '<p class="empty">No plays yet.</p>';
  }

  // ------------------------------------------------------------------ drill-down and day pages
  const predicates = {
    artist: (x) => (it) => items[it][2] === x,
    album: (x) => (it) => items[it][3] === x,
    show: (x) => (it) => items[it][4] === x,
    track: (x) => (it) => it === x,
  };

  function renderEntity(kind, x) {
    const keep = predicates[kind](x);
    const agg = aggregate(N ? day[0] : 0, N ? day[N - 1] : 0, state.listener, keep);
    const title = { artist: () => artists[x][0], album: () => albumName(x), show: () => shows[x], track: () => itemName(x) }[kind]();
    const ds = [...agg.days.keys()].sort((p, q) => p - q);
    const first = ds[0], last = ds[ds.length - 1];
    let context = "";
    if (kind === "track") {
      const it = items[x];
      context = [it[2] >= 0 ? "artist " + link("artist", it[2], artists[it[2]][0]) : "", it[3] >= 0 ? "album " + link("album", it[3], albums[it[3]][0]) : "", it[4] >= 0 ? "show " + link("show", it[4], shows[it[4]]) : ""].filter(Boolean).join(" · ");
    } else if (kind === "album") context = "by " + link("artist", albums[x][1], artists[albums[x][1]][0]) + (albums[x][2] ? " · released " + albums[x][2] : "");
    let html = '<p class="back"><a href="#">← Overview</a></p><h2 id="detail-title" data-kind="' + kind + '">' + esc(title) + "</h2>" +
      '<p class="caption">' + esc(kind) + " · all time · " + esc(listenerName(state.listener)) + (context ? " · " + context : "") + "</p>";
    if (!agg.plays) { $("detail").innerHTML = html + '<p class="empty">No plays for ' + esc(listenerName(state.listener)) + ".</p>"; return; }
    html += '<div class="kpis light">' + kpi("plays", int(agg.plays), "plays") + kpi("minutes", minutes(agg.ms), "minutes") +
      kpi("first-play", dayLink(first), "first play") + kpi("last-play", dayLink(last), "last play") +
      kpi("skip-rate", pct(agg.sk, agg.skn), "skip rate", agg.skn ? int(agg.sk) + " of " + int(agg.skn) + " plays with a skip flag" : "no skip data") + "</div>";
    const tl = timeline(agg, first, last);
    html += '<div class="card"><h3>Minutes per ' + tl.unit + "</h3>" + tl.svg + "</div>";
    if (kind !== "track") html += '<div class="card"><h3>Top tracks</h3>' + topTable(rollup(agg, "track").concat(kind === "show" ? episodes(agg) : []), "track", 15, "detail-top-tracks") + "</div>";
    html += '<div class="card"><h3>Hours of the day</h3>' + hourChart(agg) + "</div>";
    $("detail").innerHTML = html;
  }

  function episodes(agg) {
    const out = [];
    for (const [it, v] of agg.items) if (items[it][0] !== "t") out.push({ key: it, plays: v[0], ms: v[1], name: items[it][1] });
    return out.sort((x, y) => y.ms - x.ms || y.plays - x.plays || (x.name < y.name ? -1 : 1));
  }

  function renderDay(text) {
    const k = dayNum(text);
    const agg = aggregate(k, k, state.listener, null);
    const rows = [];
    for (let r = lowerBound(k); r < N && day[r] === k; r++) if (state.listener < 0 || L[r] === state.listener) rows.push(r);
    rows.sort((x, y) => H[x] - H[y] || L[x] - L[y] || (itemName(I[x]) < itemName(I[y]) ? -1 : 1));
    let html = '<p class="back"><a href="#">← Overview</a> · ' + dayLink(k - 1, "← previous day") + " · " + dayLink(k + 1, "next day →") + "</p>" +
      '<h2 id="detail-title" data-kind="day">' + esc(nice(k)) + "</h2>" + '<p class="caption">' + esc(listenerName(state.listener)) + "</p>" +
      '<div class="kpis light">' + kpi("plays", int(agg.plays), "plays") + kpi("minutes", minutes(agg.ms), "minutes") + kpi("tracks", int(agg.items.size), "items") + "</div>";
    html += '<div class="card"><table class="top" id="day-table"><thead><tr><th>Hour</th>' + (many && state.listener < 0 ? "<th>Listener</th>" : "") + "<th>What</th><th>Plays</th><th>Minutes</th></tr></thead><tbody>" +
      rows.map((r) => "<tr><td>" + String(H[r]).padStart(2, "0") + ":00</td>" + (many && state.listener < 0 ? "<td>" + esc(D.listeners[L[r]]) + "</td>" : "") +
        '<td class="name">' + itemLink(I[r]) + '</td><td class="n">' + int(P[r]) + '</td><td class="n">' + (MS[r] / 60000).toFixed(1) + "</td></tr>").join("") + "</tbody></table>" +
      (rows.length ? "" : '<p class="empty">Nothing was played that day.</p>') + "</div>";
    $("detail").innerHTML = html;
  }

  // ------------------------------------------------------------------ search
  function search(q) {
    const box = $("search-results");
    q = q.trim().toLowerCase();
    if (q.length < 2) { box.hidden = true; box.innerHTML = ""; return; }
    const hits = [];
    const scan = (kind, list, name, key) => { for (let j = 0; j < list.length && hits.length < 30; j++) if (name(j).toLowerCase().includes(q)) hits.push('<li><small>' + kind + "</small> " + link(key, j, name(j)) + "</li>"); };
    scan("artist", artists, (j) => artists[j][0], "artist");
    scan("track", items, itemName, "track");
    scan("album", albums, albumName, "album");
    scan("show", shows, (j) => shows[j], "show");
    box.innerHTML = hits.length ? hits.join("") : "<li>No match.</li>";
    box.hidden = false;
  }

  // ------------------------------------------------------------------ routing and controls
  function route() {
    const m = location.hash.match(/^#\/(artist|track|album|show|day)\/(.+)$/);
    const overview = document.querySelectorAll(".overview");
    $("search-results").hidden = true;
    if (!m) { overview.forEach((e) => (e.hidden = false)); $("detail").hidden = true; renderOverview(); return; }
    overview.forEach((e) => (e.hidden = true));
    $("detail").hidden = false;
    if (m[1] === "day") renderDay(m[2]); else renderEntity(m[1], Number(m[2]));
    window.scrollTo(0, 0);
  }

  function setPeriod(p, from, to) {
    state.period = p;
    if (p === "custom") { state.from = from; state.to = to; $("from").value = dayStr(from); $("to").value = dayStr(to); }
    $("period").value = p;
    $("custom").hidden = p !== "custom";
    if (location.hash.startsWith("#/")) location.hash = ""; else route();
  }

  function setup() {
    const first = N ? day[0] : 0, last = N ? day[N - 1] : 0;
    const y0 = new Date(base + first * DAY_MS).getUTCFullYear(), y1 = new Date(base + last * DAY_MS).getUTCFullYear();
    let opts = '<option value="4w">Last 4 weeks</option><option value="6m">Last 6 months</option>';
    for (let y = y1; y >= y0; y--) opts += '<option value="' + y + '">' + y + "</option>";
    opts += '<option value="all">All time</option><option value="custom">Custom range…</option>';
    $("period").innerHTML = opts;
    $("period").value = "all";
    $("from").value = dayStr(first); $("to").value = dayStr(last);
    $("period").addEventListener("change", () => { const [a, b] = range(); setPeriod($("period").value, a, b); });
    const custom = () => { const a = dayNum($("from").value), b = dayNum($("to").value); if (!isNaN(a) && !isNaN(b)) setPeriod("custom", Math.min(a, b), Math.max(a, b)); };
    $("from").addEventListener("change", custom); $("to").addEventListener("change", custom);
    const ls = $("listener");
    ls.innerHTML = '<option value="-1">All listeners</option>' + D.listeners.map((l, j) => '<option value="' + j + '">' + esc(l) + "</option>").join("");
    $("listener-picker").hidden = !many;
    ls.addEventListener("change", () => { state.listener = Number(ls.value); route(); });
    $("search").addEventListener("input", (e) => search(e.target.value));
    document.addEventListener("click", (e) => {
      const bar = e.target.closest("[data-target]");
      if (bar) {
        const [kind, value] = bar.dataset.target.split(/:(.*)/s);
        if (kind === "day") { location.hash = "#/day/" + value; return; }
        let a, b;
        if (kind === "week") { a = dayNum(value); b = a + 6; } else { const [yy, mm] = value.split("-").map(Number); a = dayNum(value + "-01"); b = Math.round((Date.UTC(yy, mm, 1) - base) / DAY_MS) - 1; }
        setPeriod("custom", a, b);
        return;
      }
      if (!e.target.closest("#search-box")) $("search-results").hidden = true;
    });
    window.addEventListener("hashchange", route);
  }

  setup();
  route();
  document.body.dataset.ready = "1";
  window.reportReadyMs = performance.now();
})();
