/* 工作台 charts: every element [data-chart] holds one chart as JSON (shuangshi_app::dashboard::Chart:
   id, title, kind bar|line|pie, unit, categories, series [{name, unit, kind, values, links}], links, stacked,
   marks [{category, label}], note). Each is drawn with the vendored Apache ECharts (SVG renderer);
   a click on a bar, a point or a slice opens the filtered list its number counts. The table beside
   each chart carries the same numbers, so the page is complete without this script. No inline
   script or style anywhere (the CSP forbids both): sizes are set through the CSSOM. */
(function () {
  "use strict";

  var PALETTE = ["#1f6fd1", "#67c23a", "#e6a23c", "#909399", "#f56c6c", "#36a3b5", "#8e6fd1", "#d4a017"];
  var FONT = getComputedStyle(document.body).fontFamily;

  function localLink(href) {
    return typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/" && href.charAt(1) !== "\\";
  }

  function isEmpty(chart) {
    return !chart.categories.length || chart.series.every(function (s) {
      return s.values.every(function (v) { return v === 0; });
    });
  }

  function valueText(unit, v) {
    if (unit === "元") { return "¥" + Number(v).toLocaleString("zh-CN"); }
    if (unit === "%") { return Number(v).toFixed(1) + "%"; }
    return v + " " + unit;
  }

  function optionOf(chart, el) {
    var base = {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      animation: false,
      aria: { enabled: false },
      tooltip: {
        trigger: chart.kind === "pie" ? "item" : "axis",
        valueFormatter: function (v) { return valueText(chart.unit, v); }
      },
      legend: { top: 0, type: "scroll" }
    };
    if (chart.kind === "pie") {
      base.legend.show = chart.categories.length <= 8;
      base.series = [{
        type: "pie",
        name: chart.series[0] ? chart.series[0].name : "",
        radius: ["38%", "68%"],
        center: ["50%", "56%"],
        label: { formatter: "{b}\n{c}（{d}%）" },
        data: chart.categories.map(function (c, i) {
          return { name: c, value: chart.series[0] ? chart.series[0].values[i] : 0, index: i };
        }).filter(function (d) { return d.value > 0; })
      }];
      return base;
    }
    var horizontal = chart.kind === "bar" && chart.categories.length > 8;
    var categoryAxis = {
      type: "category",
      data: chart.categories,
      axisLabel: { interval: 0, hideOverlap: !horizontal, rotate: !horizontal && chart.categories.length > 5 ? 30 : 0 },
      inverse: horizontal
    };
    var valueAxis = { type: "value", minInterval: chart.unit === "%" ? 0 : 1 };
    base.grid = { left: 12, right: 24, top: 40, bottom: 8, containLabel: true };
    base.xAxis = horizontal ? valueAxis : categoryAxis;
    base.yAxis = horizontal ? categoryAxis : valueAxis;
    if (horizontal) {
      el.style.height = Math.max(260, chart.categories.length * 24 + 70) + "px";
    }
    base.series = chart.series.map(function (s, i) {
      var unit = s.unit || chart.unit;
      var type = s.kind || chart.kind;
      var one = {
        type: type,
        name: s.name,
        data: s.values,
        emphasis: { focus: "series" },
        tooltip: { valueFormatter: function (v) { return valueText(unit, v); } }
      };
      if (type === "bar") {
        one.barMaxWidth = 36;
        if (chart.stacked) { one.stack = "total"; }
      } else {
        one.smooth = false;
        one.symbolSize = 6;
      }
      if (i === 0 && chart.marks && chart.marks.length) {
        one.markLine = {
          symbol: "none",
          silent: true,
          lineStyle: { color: "#f56c6c", type: "dashed" },
          label: { formatter: "{b}", position: "insideEndTop", color: "#c03636" },
          data: chart.marks.map(function (m) { return { name: m.label, xAxis: m.category }; })
        };
      }
      return one;
    });
    return base;
  }

  function draw(el) {
    var chart;
    try { chart = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return null; }
    if (!chart || isEmpty(chart)) { return null; }
    el.hidden = false;
    var instance = window.echarts.init(el, null, { renderer: "svg", locale: "ZH" });
    instance.setOption(optionOf(chart, el));
    instance.resize();
    instance.on("click", function (p) {
      /* A pie leaves out its empty slices: its data carry the category's index. */
      var i = p.data && typeof p.data.index === "number" ? p.data.index : p.dataIndex;
      var series = chart.series[p.seriesIndex];
      var href = series && series.links ? series.links[i] : null;
      if (!href && chart.links) { href = chart.links[i]; }
      if (localLink(href)) { window.location.assign(href); }
    });
    return instance;
  }

  function start() {
    if (!window.echarts) { return; }
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = draw(el);
      if (c) { drawn.push(c); }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(function () { drawn.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
