/*
 * Citizen self-check: match your own location history against the published
 * exposure places, entirely in this browser.
 *
 * The file you choose is read here and never sent anywhere: the only network
 * requests are GETs of the published places and screening clinics (public lists,
 * from the URLs in the page). Nothing is stored (no cookies, no web storage).
 *
 * Mirrors outbreak/disclose/selfcheck.py function by function (same formats,
 * same merging of nearby points, same matching rule), so the two can be tested
 * against each other: window.outbreakSelfCheck = {parseHistory, match, ...}.
 * Visits here carry times as milliseconds since 1970 (UTC).
 */
(() => {
  "use strict";

  const MAX_BYTES = 100 * 1024 * 1024;
  const MAX_POINTS = 1000000;
  const MERGE_RADIUS_M = 50;
  const MERGE_GAP_MIN = 60;
  const ACCURACY_CAP_M = 100;
  const EARTH_RADIUS_M = 6371008.8;
  const RADIUS_M = 100;
  const CLINICS_SHOWN = 3;
  const HOUR_MS = 3600000;
  const MS_RANGE = [946684800000, 4102444800000]; // 2000-01-01 .. 2100-01-01 UTC
  const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;
  const INT = /^-?\d+$/;
  const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/;
  const LATLNG = /^\s*(?:geo:)?\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*,\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*$/;
  const E7_KEYS = [["latitudeE7", "longitudeE7"], ["latE7", "lngE7"]];
  const E7_KEYS_CENTRE = [["centerLatE7", "centerLngE7"]];
  const SHORTER =
    "choose this month's file from Takeout's Semantic Location History instead, or " +
    "export a shorter period (the last four weeks are enough for a self-check)";
  const HINT =
    "choose Records.json or a month of Semantic Location History from Google " +
    "Takeout, Timeline.json exported from Google Maps, or a GPX track";

  class SelfCheckError extends Error {
    constructor(message, field = "file", kind = "format") {
      super(message);
      this.name = "SelfCheckError";
      this.field = field;
      this.kind = kind;
    }
  }
  const bad = (message, kind = "format") => new SelfCheckError(message, "file", kind);

  // ---- reading the history ------------------------------------------------

  function parseHistory(text, filename = "") {
    const name = filename || "The file";
    if (typeof text !== "string") throw bad(`${name} could not be read as text`);
    if (text.length > MAX_BYTES) {
      throw bad(`${name} is larger than the ${MAX_BYTES / 2 ** 20} MB limit; ${SHORTER}`,
        "size");
    }
    if (text.startsWith("PK\u0003\u0004")) {
      throw bad(`${name} is a ZIP archive; unzip the Takeout download and ${HINT}`, "zip");
    }
    const body = text.replace(/^\uFEFF/, "");
    const head = body.trimStart().charAt(0);
    let col;
    if (head === "<") {
      col = new Collector(name, "gpx");
      readGpx(body, col);
    } else if (head === "{" || head === "[") {
      col = readJson(body, name);
    } else {
      throw bad(`${name} is neither JSON nor GPX (it starts with ` +
        `${JSON.stringify(text.slice(0, 12))}); ${HINT}`);
    }
    return col.visits();
  }

  class Collector {
    constructor(name, source) {
      this.name = name;
      this.source = source;
      this.points = []; // [t, lat, lon, acc]
      this.spans = []; // [t0, t1, lat, lon, acc]
      this.skipped = 0;
    }

    count() {
      if (this.points.length + this.spans.length >= MAX_POINTS) {
        throw bad(`${this.name} holds more than ${MAX_POINTS.toLocaleString("en")} ` +
          `points; ${SHORTER}`, "size");
      }
    }

    point(where, ll, t, acc) {
      this.count();
      const ctx = `${this.name}, ${where}`;
      checkCoords(ll[0], ll[1], ctx);
      this.points.push([toMs(t, ctx), ll[0], ll[1], accuracy(acc)]);
    }

    span(where, ll, t0, t1) {
      this.count();
      const ctx = `${this.name}, ${where}`;
      checkCoords(ll[0], ll[1], ctx);
      const start = toMs(t0, ctx);
      const end = toMs(t1, ctx);
      if (end < start) throw bad(`${ctx} ends before it starts; ${HINT}`, "time");
      this.spans.push([start, end, ll[0], ll[1], 0]);
    }

    visits() {
      if (!this.points.length && !this.spans.length) {
        const why = this.skipped ? ` (${this.skipped} entries without coordinates or time)` : "";
        throw bad(`${this.name} has no usable location points${why}; ${HINT}`, "empty");
      }
      const rows = this.spans.concat(mergePoints(this.points));
      rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return rows.map(([t0, t1, lat, lon, acc]) => ({
        lat, lon, t_start: t0, t_end: t1, accuracy_m: acc, source: this.source,
      }));
    }
  }

  function mergePoints(points) {
    const out = [];
    let run = null;
    const sorted = points.slice().sort((a, b) => a[0] - b[0]);
    for (const [t, lat, lon, acc] of sorted) {
      if (run !== null) {
        const d = haversine(run[2], run[3], lat, lon);
        if (d <= MERGE_RADIUS_M && t - run[1] <= MERGE_GAP_MIN * 60000) {
          run[1] = t;
          run[4] = Math.max(run[4], acc + d);
          continue;
        }
        out.push(run);
      }
      run = [t, t, lat, lon, acc];
    }
    if (run !== null) out.push(run);
    return out;
  }

  function readJson(text, name) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw bad(`${name} is not valid JSON (${e.message}); ${HINT}`, "json");
    }
    let col;
    if (isObject(doc) && Array.isArray(doc.locations)) {
      col = new Collector(name, "records");
      readRecords(doc.locations, col);
    } else if (isObject(doc) && Array.isArray(doc.timelineObjects)) {
      col = new Collector(name, "semantic");
      readSemantic(doc.timelineObjects, col);
    } else if (isObject(doc) && ("semanticSegments" in doc || "rawSignals" in doc)) {
      col = new Collector(name, "timeline");
      readTimeline(list(doc.semanticSegments), col);
      readRawSignals(list(doc.rawSignals), col);
    } else if (Array.isArray(doc) && doc.slice(0, 100).some((s) => isObject(s) && "startTime" in s)) {
      col = new Collector(name, "timeline");
      readTimeline(doc, col);
    } else {
      const keys = isObject(doc) ? Object.keys(doc).sort().slice(0, 8).join(", ") : "a list";
      throw bad(`${name} is JSON but not a location history I know (found: ` +
        `${keys || "nothing"}); ${HINT}`, "structure");
    }
    return col;
  }

  function readRecords(locations, col) {
    locations.forEach((loc, k) => {
      const where = `location #${k + 1}`;
      const ll = e7(loc, E7_KEYS, where, col);
      const t = get(loc, "timestamp") || get(loc, "timestampMs");
      if (ll === null || t == null) {
        col.skipped += 1;
        return;
      }
      col.point(where, ll, t, loc.accuracy);
    });
  }

  function readSemantic(objects, col) {
    objects.forEach((obj, k) => {
      const where = `timelineObjects #${k + 1}`;
      const pv = get(obj, "placeVisit");
      const seg = get(obj, "activitySegment");
      if (isObject(pv)) {
        const ll = e7(get(pv, "location"), E7_KEYS, where, col) ||
          e7(pv, E7_KEYS_CENTRE, where, col);
        const [t0, t1] = duration(get(pv, "duration"));
        if (ll === null || t0 == null || t1 == null) col.skipped += 1;
        else col.span(where, ll, t0, t1);
      } else if (isObject(seg)) {
        const [t0, t1] = duration(get(seg, "duration"));
        for (const [key, t] of [["startLocation", t0], ["endLocation", t1]]) {
          const ll = e7(get(seg, key), E7_KEYS, `${where} ${key}`, col);
          if (ll !== null && t != null) col.point(`${where} ${key}`, ll, t, null);
        }
        list(get(seg, "simplifiedRawPath", "points")).forEach((p, j) => {
          const at = `${where} point #${j + 1}`;
          const ll = e7(p, E7_KEYS, at, col);
          const t = get(p, "timestamp") || get(p, "timestampMs");
          if (ll !== null && t != null) col.point(at, ll, t, get(p, "accuracyMeters"));
        });
      } else {
        col.skipped += 1;
      }
    });
  }

  function duration(d) {
    return [
      get(d, "startTimestamp") || get(d, "startTimestampMs"),
      get(d, "endTimestamp") || get(d, "endTimestampMs"),
    ];
  }

  function readTimeline(segments, col) {
    segments.forEach((seg, k) => {
      const where = `semanticSegments #${k + 1}`;
      const t0 = get(seg, "startTime");
      const t1 = get(seg, "endTime");
      const place = get(seg, "visit", "topCandidate", "placeLocation");
      if (place != null) {
        const ll = latLng(place, where, col);
        if (ll !== null && t0 != null && t1 != null) col.span(where, ll, t0, t1);
      }
      const act = get(seg, "activity");
      if (isObject(act)) {
        for (const [key, t] of [["start", t0], ["end", t1]]) {
          const ll = latLng(act[key], `${where} activity ${key}`, col);
          if (ll !== null && t != null) col.point(`${where} activity ${key}`, ll, t, null);
        }
      }
      list(get(seg, "timelinePath")).forEach((p, j) => {
        const at = `${where} point #${j + 1}`;
        const ll = latLng(get(p, "point"), at, col);
        let t = get(p, "time");
        const offset = get(p, "durationMinutesOffsetFromStartTime");
        if (t == null && offset != null && t0 != null) {
          t = toMs(t0, `${col.name}, ${where}`) + minutes(offset, where, col);
        }
        if (ll !== null && t != null) col.point(at, ll, t, null);
      });
    });
  }

  function readRawSignals(signals, col) {
    signals.forEach((sig, k) => {
      const pos = get(sig, "position");
      if (!isObject(pos)) return; // wifi scans, activity records: no position
      const where = `rawSignals #${k + 1}`;
      const ll = latLng(pos.LatLng !== undefined ? pos.LatLng : pos.latLng, where, col);
      const t = pos.timestamp;
      if (ll === null || t == null) {
        col.skipped += 1;
        return;
      }
      col.point(where, ll, t, pos.accuracyMeters);
    });
  }

  function readGpx(text, col) {
    if (/<!(DOCTYPE|ENTITY)/i.test(text)) {
      throw bad(`${col.name} declares a DOCTYPE or ENTITY, which GPX files do not ` +
        "need and which is refused for safety; export the track again", "xml");
    }
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const error = doc.getElementsByTagName("parsererror")[0];
    if (error) {
      const detail = (error.querySelector("div") || error).textContent.trim().split("\n")[0];
      throw bad(`${col.name} is not well-formed XML (${detail}); ${HINT}`, "xml");
    }
    const root = doc.documentElement;
    if (root.localName !== "gpx") {
      throw bad(`${col.name} is XML but not GPX (<${root.localName}>); ${HINT}`, "structure");
    }
    let n = 0;
    let untimed = 0;
    for (const el of root.getElementsByTagName("*")) {
      if (!["trkpt", "rtept", "wpt"].includes(el.localName)) continue;
      n += 1;
      const where = `point #${n} (<${el.localName}>)`;
      const lat = el.getAttribute("lat");
      const lon = el.getAttribute("lon");
      if (lat === null || lon === null || !DECIMAL.test(lat) || !DECIMAL.test(lon)) {
        throw bad(`${col.name}, ${where} has unreadable lat/lon ` +
          `${JSON.stringify(lat)}/${JSON.stringify(lon)}`, "coords");
      }
      const timeEl = Array.from(el.children).find((c) => c.localName === "time");
      const t = timeEl ? timeEl.textContent.trim() : "";
      if (!t) {
        untimed += 1;
        continue;
      }
      col.point(where, [Number(lat), Number(lon)], t, null);
    }
    if (untimed && !col.points.length) {
      throw bad(`${col.name} has ${untimed} points but none has a <time>, so they ` +
        "cannot be matched with exposure times; export the track with timestamps", "untimed");
    }
  }

  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const list = (v) => (Array.isArray(v) ? v : []);
  const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

  function get(obj, ...keys) {
    for (const key of keys) {
      if (!isObject(obj)) return null;
      obj = obj[key];
    }
    return obj === undefined ? null : obj;
  }

  function e7(obj, keys, where, col) {
    for (const [a, b] of keys) {
      let lat = get(obj, a);
      let lon = get(obj, b);
      if (lat == null || lon == null) continue;
      if (!isNumber(lat) || !isNumber(lon)) {
        throw bad(`${col.name}, ${where} has unreadable ${a}/${b} ` +
          `${JSON.stringify(lat)}/${JSON.stringify(lon)}`, "coords");
      }
      if (lat > 900000000) lat -= 2 ** 32; // Takeout wrote some as unsigned 32-bit
      if (lon > 1800000000) lon -= 2 ** 32;
      return [lat / 1e7, lon / 1e7];
    }
    return null;
  }

  function latLng(value, where, col) {
    if (isObject(value)) value = value.latLng !== undefined ? value.latLng : value.LatLng;
    if (value == null) return null;
    const m = typeof value === "string" ? LATLNG.exec(value) : null;
    if (!m) {
      throw bad(`${col.name}, ${where} has unreadable coordinates ` +
        `${JSON.stringify(value)}; ${HINT}`, "coords");
    }
    return [Number(m[1]), Number(m[2])];
  }

  const accuracy = (v) => (isNumber(v) && v > 0 ? v : 0);

  function minutes(v, where, col) {
    if (isNumber(v)) return Math.floor(v * 60000);
    if (typeof v === "string" && DECIMAL.test(v)) return Math.floor(Number(v) * 60000);
    throw bad(`${col.name}, ${where} has an unreadable minute offset ${JSON.stringify(v)}`, "time");
  }

  function checkCoords(lat, lon, ctx, field = "file") {
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
      throw new SelfCheckError(`${ctx} has coordinates ${lat}, ${lon} outside latitude ` +
        "-90..90 or longitude -180..180; use an unmodified export", field, "coords");
    }
  }

  function toMs(value, ctx, field = "file") {
    let ms = null;
    if (isNumber(value)) ms = Math.floor(value);
    else if (typeof value === "string" && INT.test(value.trim())) ms = Number(value.trim());
    else if (typeof value === "string") {
      const m = ISO.exec(value.trim());
      if (m) ms = isoMs(m);
    }
    if (ms === null || !(ms >= MS_RANGE[0] && ms < MS_RANGE[1])) {
      throw new SelfCheckError(`${ctx} has an unreadable time ${JSON.stringify(value)}; ` +
        "expected ISO 8601 between 2000 and 2100 (2020-05-03T12:10:00+09:00) or " +
        "milliseconds since 1970", field, "time");
    }
    return ms;
  }

  function isoMs(m) {
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map((g) => Number(g || 0));
    const zone = (m[8] || "Z").toUpperCase().replace(":", "");
    const [oh, om] = zone === "Z" ? [0, 0] : [Number(zone.slice(1, 3)), Number(zone.slice(3))];
    const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59 ||
        oh > 23 || om > 59) {
      return null;
    }
    const offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
    const frac = Number((m[7] || "").slice(0, 3).padEnd(3, "0"));
    return Date.UTC(y, mo - 1, d) + ((h * 60 + mi - offset) * 60 + s) * 1000 + frac;
  }

  function haversine(lat1, lon1, lat2, lon2) {
    const rad = Math.PI / 180;
    const p1 = lat1 * rad;
    const p2 = lat2 * rad;
    const dp = p2 - p1;
    const dl = (lon2 - lon1) * rad;
    const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(Math.min(1, a)));
  }

  // ---- matching -------------------------------------------------------------

  function exposureRows(exposures, bufferMs) {
    return exposures.map((e, k) => {
      const ctx = `Exposure #${k + 1} (${JSON.stringify(isObject(e) ? e.id : null)})`;
      if (!isObject(e) || e.id == null || e.lat == null || e.lon == null) {
        throw new SelfCheckError(`Exposure #${k + 1} lacks id, lat or lon; pass the ` +
          "published places as returned by the public API", "exposures");
      }
      if (!isNumber(e.lat) || !isNumber(e.lon)) {
        throw new SelfCheckError(`${ctx} has non-numeric lat/lon`, "exposures");
      }
      checkCoords(e.lat, e.lon, ctx, "exposures");
      const s = toMs(e.exposure_start, ctx, "exposures");
      const t = toMs(e.exposure_end, ctx, "exposures");
      if (t < s) throw new SelfCheckError(`${ctx} ends before it starts`, "exposures");
      return { lat: e.lat, lon: e.lon, start: s - bufferMs, end: t + bufferMs };
    });
  }

  /*
   * The published places a history overlaps, one match per place: a visit
   * matches when it lies within radiusM plus its accuracy (capped) of the place
   * and its time overlaps the exposure window (edges included, widened by
   * bufferMin). Places are binned by (cell, hour); each visit looks in the 3 × 3
   * cells around it for each hour it touches, and a pair counts only in the
   * first hour the two share, so it is seen once.
   */
  function match(visits, exposures, radiusM = RADIUS_M, bufferMin = 0) {
    if (!(radiusM >= 1 && radiusM <= 5000)) {
      throw new SelfCheckError(`radius_m=${radiusM} is not 1-5,000 m`, "radius_m");
    }
    if (!(bufferMin >= 0 && bufferMin <= 1440)) {
      throw new SelfCheckError(`buffer_min=${bufferMin} is not 0-1,440 minutes`, "buffer_min");
    }
    if (!visits.length || !exposures.length) return [];
    const ex = exposureRows(exposures, bufferMin * 60000);
    const reach = radiusM + ACCURACY_CAP_M;
    const dlat = (reach / EARTH_RADIUS_M) * (180 / Math.PI);
    const top = Math.min(89, ex.reduce((a, e) => Math.max(a, Math.abs(e.lat)), 0) + dlat);
    const dlon = dlat / Math.cos((top * Math.PI) / 180);
    const cellOf = (lat, lon) => [Math.floor((lat + 90) / dlat), Math.floor((lon + 180) / dlon)];
    const hourOf = (t) => Math.floor(t / HOUR_MS);
    let tMin = Infinity;
    let tMax = -Infinity;
    const grid = new Map();
    ex.forEach((e, i) => {
      tMin = Math.min(tMin, e.start);
      tMax = Math.max(tMax, e.end);
      const [cy, cx] = cellOf(e.lat, e.lon);
      e.firstHour = hourOf(e.start);
      for (let h = e.firstHour; h <= hourOf(e.end); h += 1) {
        const key = `${cy},${cx},${h}`;
        if (!grid.has(key)) grid.set(key, []);
        grid.get(key).push(i);
      }
    });
    const found = new Map(); // exposure index -> {start, end, distance_m, n_visits}
    for (const v of visits) {
      if (v.t_end < tMin || v.t_start > tMax) continue;
      const [cy, cx] = cellOf(v.lat, v.lon);
      const first = Math.max(hourOf(v.t_start), hourOf(tMin));
      const last = Math.min(hourOf(v.t_end), hourOf(tMax));
      const limit = radiusM + Math.min(accuracy(v.accuracy_m), ACCURACY_CAP_M);
      for (let h = first; h <= last; h += 1) {
        for (let dy = -1; dy <= 1; dy += 1) {
          for (let dx = -1; dx <= 1; dx += 1) {
            for (const i of grid.get(`${cy + dy},${cx + dx},${h}`) || []) {
              const e = ex[i];
              if (h !== Math.max(first, e.firstHour)) continue; // seen in an earlier hour
              if (v.t_start > e.end || v.t_end < e.start) continue;
              const d = haversine(v.lat, v.lon, e.lat, e.lon);
              if (d > limit) continue;
              const s = Math.max(v.t_start, e.start);
              const t = Math.min(v.t_end, e.end);
              const m = found.get(i);
              if (m === undefined) found.set(i, { start: s, end: t, distance_m: d, n_visits: 1 });
              else {
                m.start = Math.min(m.start, s);
                m.end = Math.max(m.end, t);
                m.distance_m = Math.min(m.distance_m, d);
                m.n_visits += 1;
              }
            }
          }
        }
      }
    }
    const out = Array.from(found, ([i, m]) => ({
      exposure_id: String(exposures[i].id), exposure: exposures[i], ...m,
    }));
    return out.sort((a, b) => a.start - b.start ||
      (a.exposure_id < b.exposure_id ? -1 : a.exposure_id > b.exposure_id ? 1 : 0));
  }

  function nearestClinics(lat, lon, clinics, n = CLINICS_SHOWN) {
    return clinics
      .filter((c) => isObject(c) && isNumber(c.lat) && isNumber(c.lon))
      .map((c, i) => ({ clinic: c, distance_m: haversine(lat, lon, c.lat, c.lon), i }))
      .sort((a, b) => a.distance_m - b.distance_m || a.i - b.i)
      .slice(0, n);
  }

  // ---- the page -------------------------------------------------------------

  const KINDS = {
    ko: {
      restaurant: "음식점", cafe: "카페", bar_club: "주점·클럽", karaoke: "노래연습장",
      church: "종교시설", gym: "체육시설", pc_room: "PC방", call_centre: "콜센터",
      hospital: "병원", pharmacy: "약국", screening_clinic: "선별진료소",
      workplace: "직장", school: "학교",
    },
    en: {
      restaurant: "Restaurant", cafe: "Café", bar_club: "Bar / club", karaoke: "Karaoke",
      church: "Place of worship", gym: "Gym", pc_room: "PC room", call_centre: "Call centre",
      hospital: "Hospital", pharmacy: "Pharmacy", screening_clinic: "Screening clinic",
      workplace: "Workplace", school: "School",
    },
  };

  const STRINGS = {
    ko: {
      reading: "파일을 이 기기 안에서 읽고 있습니다. 파일은 어디에도 전송되지 않습니다…",
      loading: "공개된 확진자 방문 장소를 불러오고 있습니다…",
      unavailable: "공개된 장소 목록을 불러오지 못했습니다. 잠시 후 다시 시도해 주세요.",
      badFile: "이 파일을 읽을 수 없습니다.",
      hint: "Google 테이크아웃의 Records.json 또는 Semantic Location History 월별 파일, " +
        "Google 지도에서 내보낸 Timeline.json, 또는 GPX 파일을 선택해 주세요.",
      errors: {
        size: "파일이 너무 큽니다. Semantic Location History의 이번 달 파일을 선택하거나 " +
          "더 짧은 기간을 내보내 주세요.",
        zip: "ZIP 압축 파일입니다. 압축을 푼 뒤 위치 기록 파일을 선택해 주세요.",
        json: "올바른 JSON 파일이 아닙니다.",
        structure: "알 수 없는 형식의 파일입니다.",
        empty: "사용할 수 있는 위치 기록이 없습니다.",
        untimed: "GPX 지점에 시각 정보가 없어 비교할 수 없습니다. 시각을 포함해 내보내 주세요.",
        time: "읽을 수 없는 시각이 있습니다.",
        coords: "읽을 수 없거나 범위를 벗어난 좌표가 있습니다.",
        xml: "올바른 GPX(XML) 파일이 아닙니다.",
        format: "JSON 또는 GPX 파일이 아닙니다.",
      },
      checked: (n, from, to, m) =>
        `위치 기록 ${n.toLocaleString("ko")}건(${from} ~ ${to}, 한국 시간)을 공개된 장소 ` +
        `${m.toLocaleString("ko")}곳과 이 기기에서 비교했습니다.`,
      none: "겹치는 공개 장소가 없습니다. 발열이나 호흡기 증상이 있으면 1339 또는 관할 " +
        "보건소에 문의하세요.",
      found: (k) => `공개된 장소 ${k}곳에서 확진자와 동선이 겹쳤을 수 있습니다.`,
      overlap: "겹친 시간(한국 시간)",
      distance: (m) => `기록된 위치와 장소 사이 거리: 약 ${m}m`,
      disinfected: "방역 소독 완료",
      test: "가까운 선별진료소에서 진단검사를 받으세요(장소에서 가까운 순):",
      stay: "검사 결과가 나올 때까지 외출을 삼가고 집에 머무르며 가족 등 다른 사람과의 " +
        "접촉을 피하세요. 증상이 있으면 방문 전에 1339(질병관리청 콜센터)에 전화하세요.",
      noClinic: "선별진료소 정보를 불러오지 못했습니다. 1339 또는 관할 보건소에 문의하세요.",
      km: (d) => (d < 1000 ? `${Math.round(d)}m` : `${(d / 1000).toFixed(1)}km`),
    },
    en: {
      reading: "Reading the file on this device. It is not sent anywhere…",
      loading: "Loading the published exposure places…",
      unavailable: "The published places could not be loaded. Please try again later.",
      badFile: "This file cannot be read.",
      hint: "Choose Records.json or a monthly file from Semantic Location History in " +
        "Google Takeout, Timeline.json exported from Google Maps, or a GPX track.",
      errors: {},
      checked: (n, from, to, m) =>
        `Checked ${n.toLocaleString("en")} location record${n === 1 ? "" : "s"} ` +
        `(${from} to ${to}, KST) ` +
        `against ${m.toLocaleString("en")} published places, on this device.`,
      none: "No published place matches your history. If you have a fever or respiratory " +
        "symptoms, call 1339 or your district health centre.",
      found: (k) => `You may have been at ${k} published place${k === 1 ? "" : "s"} ` +
        "at the same time as a confirmed case.",
      overlap: "Overlap (KST)",
      distance: (m) => `Distance between your record and the place: about ${m} m`,
      disinfected: "Disinfected",
      test: "Get tested at a screening clinic (nearest to the place first):",
      stay: "Until you have the result, stay at home and avoid contact with others, " +
        "including your household. If you have symptoms, call 1339 (KDCA) before you go.",
      noClinic: "Screening clinics could not be loaded; call 1339 or your district " +
        "health centre.",
      km: (d) => (d < 1000 ? `${Math.round(d)} m` : `${(d / 1000).toFixed(1)} km`),
    },
  };

  function kst(ms) {
    const d = new Date(ms + 9 * HOUR_MS);
    const p = (x) => String(x).padStart(2, "0");
    return [`${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`,
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`];
  }

  function kstWindow(start, end) {
    const [d0, t0] = kst(start);
    const [d1, t1] = kst(end);
    if (start === end) return `${d0} ${t0}`;
    return d0 === d1 ? `${d0} ${t0}–${t1}` : `${d0} ${t0} – ${d1} ${t1}`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function publishedList(body) {
    if (Array.isArray(body)) return body;
    if (isObject(body) && Array.isArray(body.data)) return body.data;
    if (isObject(body) && Array.isArray(body.items)) return body.items;
    throw new Error("unexpected list shape");
  }

  async function getJson(url) {
    const res = await fetch(url, { method: "GET", credentials: "same-origin",
      headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  }

  // The whole published list: a paged answer ({data, count, limit}) is followed
  // page by page, so nothing published goes unchecked.
  async function getList(url) {
    if (!url) throw new Error("no URL in the page");
    const first = await getJson(url);
    const items = publishedList(first).slice();
    if (isObject(first) && typeof first.count === "number" && first.limit > 0) {
      while (items.length < first.count) {
        const next = new URL(url, window.location.href);
        next.searchParams.set("offset", String(items.length));
        const page = publishedList(await getJson(next.toString()));
        if (!page.length) break;
        items.push(...page);
      }
    }
    return items;
  }

  function renderMatch(m, lang, T, clinics) {
    const e = m.exposure;
    const node = el("article", "selfcheck-match");
    node.dataset.exposureId = m.exposure_id;
    const kind = KINDS[lang][e.kind] || e.kind || "";
    node.append(el("h3", null, [kind, e.name].filter(Boolean).join(" · ")));
    const district = lang === "en"
      ? [e.district_en, e.province_en].filter(Boolean).join(", ")
      : String(e.address || "").includes(e.district) ? ""
        : [e.province, e.district].filter(Boolean).join(" ");
    node.append(el("p", "selfcheck-place", [e.address, district && `(${district})`]
      .filter(Boolean).join(" ")));
    node.append(el("p", "selfcheck-when", `${T.overlap}: ${kstWindow(m.start, m.end)}`));
    node.append(el("p", "selfcheck-distance", T.distance(Math.round(m.distance_m))));
    if (e.disinfected === true) node.append(el("p", "selfcheck-disinfected", T.disinfected));
    const todo = el("div", "selfcheck-todo");
    const near = clinics ? nearestClinics(e.lat, e.lon, clinics) : [];
    if (near.length) {
      todo.append(el("p", null, T.test));
      const ul = el("ul", "selfcheck-clinics");
      for (const { clinic, distance_m: d } of near) {
        const li = el("li", null, `${clinic.name || ""} — ${clinic.address || ""} `);
        if (clinic.phone) {
          const a = el("a", null, `☎ ${clinic.phone}`);
          a.href = `tel:${String(clinic.phone).replace(/[^0-9+]/g, "")}`;
          li.append(a);
        }
        li.append(document.createTextNode(` (${T.km(d)})`));
        ul.append(li);
      }
      todo.append(ul);
    } else {
      todo.append(el("p", null, T.noClinic));
    }
    todo.append(el("p", "selfcheck-stay", T.stay));
    node.append(todo);
    return node;
  }

  function init(section) {
    const lang = section.dataset.lang === "en" ? "en" : "ko";
    const T = STRINGS[lang];
    const input = section.querySelector("#history-file");
    const status = section.querySelector("#selfcheck-status");
    const results = section.querySelector("#selfcheck-results");
    if (!input || !status || !results) return;
    let lists = null;
    const load = () => {
      if (lists === null) {
        const clinics = getList(section.dataset.clinicsUrl).catch(() => null);
        lists = Promise.all([getList(section.dataset.exposuresUrl), clinics]);
        lists.catch(() => { lists = null; }); // let the next file retry
      }
      return lists;
    };
    load().catch(() => {});
    const say = (text, isError = false) => {
      status.textContent = text;
      status.classList.toggle("error", isError);
    };

    let runs = 0;
    input.addEventListener("change", async () => {
      const run = ++runs; // a newer file supersedes this one
      const file = input.files && input.files[0];
      results.replaceChildren();
      if (!file) return;
      let visits;
      try {
        if (file.size > MAX_BYTES) {
          throw bad(`${file.name} is larger than the ${MAX_BYTES / 2 ** 20} MB limit; ` +
            SHORTER, "size");
        }
        say(T.reading);
        visits = parseHistory(await file.text(), file.name);
      } catch (err) {
        if (run !== runs) return;
        const detail = err instanceof SelfCheckError ? err.message : String(err);
        const kind = err instanceof SelfCheckError ? T.errors[err.kind] : "";
        const short = detail.replace(`; ${HINT}`, "");
        say([T.badFile, kind, lang === "en" ? detail : `${T.hint} (${short})`]
          .filter(Boolean).join(" "), true);
        return;
      } finally {
        input.value = ""; // nothing of the file stays in the page
      }
      say(T.loading);
      let exposures;
      let clinics;
      try {
        [exposures, clinics] = await load();
        if (run !== runs) return;
        const matches = match(visits, exposures, RADIUS_M);
        const from = kst(visits[0].t_start)[0];
        const to = kst(visits.reduce((a, v) => Math.max(a, v.t_end), 0))[0];
        say(T.checked(visits.length, from, to, exposures.length));
        results.append(el("p", "selfcheck-summary", matches.length ? T.found(matches.length) : T.none));
        for (const m of matches) results.append(renderMatch(m, lang, T, clinics));
      } catch {
        if (run === runs) say(T.unavailable, true);
      }
    });
  }

  window.outbreakSelfCheck = Object.freeze({
    parseHistory, match, nearestClinics, kstWindow, SelfCheckError,
  });

  const start = () => {
    const section = document.getElementById("selfcheck");
    if (section) init(section);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
