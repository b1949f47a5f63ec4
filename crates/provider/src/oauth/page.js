// The consent page without a round trip: a group's box ticks or clears all of its assets (and
// follows them), and the cycle and end date are said in words as they change. Without it the
// form works the same; the server reads a ticked group's box as all of the group.
document.querySelectorAll('input[name="asset_group"]').forEach(function (all) {
  var members = document.querySelectorAll('input[name="asset"][data-group="' + all.value + '"]');
  function follow() {
    all.checked = Array.prototype.every.call(members, function (m) { return m.checked; });
  }
  all.addEventListener('change', function () {
    members.forEach(function (member) { member.checked = all.checked; });
  });
  members.forEach(function (member) { member.addEventListener('change', follow); });
  follow();
});
var cycle = document.getElementById('cycle');
if (cycle) {
  cycle.addEventListener('change', function () {
    var words = cycle.options[cycle.selectedIndex].text;
    document.querySelectorAll('.cycle-words').forEach(function (w) { w.textContent = words; });
  });
}
var end = document.getElementById('end_date');
if (end) {
  end.addEventListener('change', function () {
    var parts = end.value.split('-');
    if (parts.length !== 3) { return; }
    var date = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    document.getElementById('end-words').textContent = date.getFullYear() + '년 ' + (date.getMonth() + 1) + '월 ' +
      date.getDate() + '일(' + '일월화수목금토'.charAt(date.getDay()) + ')';
  });
}
