// 推荐表 grid (school/form.html): a keyboard path through the cells, the findings' popovers
// placed beside their cell (outside the grid's scroll box), and, after a save, the saved row
// scrolled into view with the message floating under the top bar. Works without it: the
// popovers then open under their cell and the browser jumps to #row-N.
(function () {
  'use strict';

  function rows(grid) {
    return Array.prototype.filter.call(grid.tBodies[0] ? grid.tBodies[0].rows : [], function (tr) {
      return !tr.classList.contains('empty-row');
    });
  }

  // Places a cell's popover next to it, in the viewport (flipped above near the bottom).
  function place(td) {
    var pop = td.querySelector(':scope > .cell-pop');
    if (!pop) return;
    pop.classList.add('placed');
    var r = td.getBoundingClientRect();
    var vw = document.documentElement.clientWidth;
    var vh = document.documentElement.clientHeight;
    pop.style.left = '0px';
    pop.style.top = '0px';
    var w = pop.offsetWidth;
    var h = pop.offsetHeight;
    var left = Math.max(8, Math.min(r.left, vw - w - 8));
    var top = r.bottom + 2;
    if (top + h > vh - 8) top = Math.max(8, r.top - h - 2);
    pop.style.left = Math.round(left) + 'px';
    pop.style.top = Math.round(top) + 'px';
  }

  function init(grid) {
    var body = rows(grid);
    if (!body.length) return;
    var cells = body.map(function (tr) { return Array.prototype.slice.call(tr.cells); });
    cells.forEach(function (row) {
      row.forEach(function (td) { td.tabIndex = -1; });
    });
    cells[0][0].tabIndex = 0;

    function focusCell(r, c) {
      r = Math.max(0, Math.min(cells.length - 1, r));
      var row = cells[r];
      c = Math.max(0, Math.min(row.length - 1, c));
      grid.querySelectorAll('tbody td[tabindex="0"]').forEach(function (td) { td.tabIndex = -1; });
      var td = row[c];
      td.tabIndex = 0;
      td.focus({ preventScroll: true });
      td.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      place(td);
    }

    grid.addEventListener('keydown', function (e) {
      var td = e.target;
      if (!td || td.tagName !== 'TD') return;
      var tr = td.parentElement;
      var r = body.indexOf(tr);
      if (r < 0) return;
      var c = td.cellIndex;
      var key = e.key;
      if (key === 'ArrowRight') focusCell(r, c + 1);
      else if (key === 'ArrowLeft') focusCell(r, c - 1);
      else if (key === 'ArrowDown') focusCell(r + 1, c);
      else if (key === 'ArrowUp') focusCell(r - 1, c);
      else if (key === 'Home') focusCell(e.ctrlKey ? 0 : r, 0);
      else if (key === 'End') focusCell(e.ctrlKey ? cells.length - 1 : r, cells[r].length - 1);
      else if (key === 'Enter' && tr.dataset.edit && td.dataset.col) {
        // The row's editor, with the caret in this cell's field.
        window.location.href = tr.dataset.edit + '#f-c' + td.dataset.col;
      } else return;
      e.preventDefault();
    });

    grid.addEventListener('focusin', function (e) {
      var td = e.target.closest ? e.target.closest('td') : null;
      if (td && grid.contains(td)) place(td);
    });
    grid.addEventListener('mouseover', function (e) {
      var td = e.target.closest ? e.target.closest('td.finding-cell') : null;
      if (td && grid.contains(td)) place(td);
    });
    // A popover placed in the viewport follows its cell when the grid or the page scrolls.
    var wrap = grid.closest('.form-table-wrap');
    var unplace = function () {
      grid.querySelectorAll('.cell-pop.placed').forEach(function (p) {
        var td = p.parentElement;
        if (td === document.activeElement || td.matches(':hover')) place(td);
        else p.classList.remove('placed');
      });
    };
    if (wrap) wrap.addEventListener('scroll', unplace, { passive: true });
    var main = document.querySelector('.app-main');
    if (main) main.addEventListener('scroll', unplace, { passive: true });

    // After a save the server sends the page to #row-N: that row in the middle of the grid,
    // highlighted, its first cell focused, the message floating where it can be read.
    var m = /^#row-(\d+)$/.exec(window.location.hash);
    var saved = m ? document.getElementById('row-' + m[1]) : null;
    if (saved && grid.contains(saved)) {
      saved.classList.add('row-saved');
      saved.scrollIntoView({ block: 'center', inline: 'nearest' });
      var first = saved.cells[0];
      grid.querySelectorAll('tbody td[tabindex="0"]').forEach(function (td) { td.tabIndex = -1; });
      first.tabIndex = 0;
      first.focus({ preventScroll: true });
      var flash = document.getElementById('flash');
      if (flash && flash.querySelector('.alert')) flash.classList.add('flash-float');
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    var grid = document.getElementById('grid');
    if (grid) init(grid);
  });
})();
