import test from 'ava';
import { run, throwsSel } from './helpers.js';

const NOW = { nowMs: 12345 };

test('Util.incrementDateInt (String or long dateInt)', (t) => {
  t.is(run("Util.incrementDateInt('20190101', 5);"), '20190106');
  t.is(run('Util.incrementDateInt(20190101, 5);'), '20190106');
  t.is(run('Util.incrementDateInt(20200228, 1);'), '20200229');
  t.is(run('Util.incrementDateInt(20200301, -1);'), '20200229');
  throwsSel(t, () => run("Util.incrementDateInt('20190101', '5');"), 'argument 2 must be a long, got String');
});

test('Util.dateIntToTs and tsToDateInt', (t) => {
  t.is(run("Util.dateIntToTs('20190101');"), 1546300800000);
  t.is(run('Util.dateIntToTs(20190101);'), 1546300800000);
  t.is(run('Util.tsToDateInt(12345);'), '19700101');
  t.is(run("Util.tsToDateInt('1546300800000');"), '20190101');
  throwsSel(t, () => run('Util.dateIntToTs(20200230);'), 'Value 30 for dayOfMonth must be in the range [1,29]');
});

test('Util.dateIntHourToTs', (t) => {
  t.is(run("Util.dateIntHourToTs('20190101', '01', 'UTC', '01', '01');"), 1546214400000);
  t.is(run("Util.dateIntHourToTs(20190101, 1, 'UTC', 1, 1);"), 1546214400000);
  t.is(run('Util.dateIntHourToTs("20210707", "01", "UTC", 0, 0);'), 1625619600000);
  t.is(run("Util.dateIntHourToTs('20210707', '01', 'America/Los_Angeles', 0, 0);"), Date.UTC(2021, 6, 7, 8));
  t.is(run("Util.dateIntHourToTs(TARGET_RUN_DATE, TARGET_RUN_HOUR, 'UTC', 0, 0)/1000", { TARGET_RUN_DATE: '20210707', TARGET_RUN_HOUR: '01' }), 1625619600);
});

test('Util.timeoutForDateTimeDeadline / timeoutForDateIntDeadline (Maestro vectors, now = 12345)', (t) => {
  t.is(run("Util.timeoutForDateTimeDeadline(new DateTime('2019-01-01'), '1 day');", {}, NOW), '1546387187655 milliseconds');
  t.is(run("Util.timeoutForDateIntDeadline('20190101', '1 day');", {}, NOW), '1546387187655 milliseconds');
  t.is(run("Util.timeoutForDateIntDeadline(20190101, '1 day');", {}, NOW), '1546387187655 milliseconds');
  t.is(run("Util.timeoutForDateIntDeadline(20190101, '2 hours and 30 minutes');", {}, { nowMs: Date.UTC(2019, 0, 1, 1) }), '5400000 milliseconds');
  t.is(run("Util.timeoutForDateIntDeadline(20190101, '1 week, 1 second');", {}, { nowMs: Date.UTC(2019, 0, 8) }), '1000 milliseconds');
  t.is(run("Util.timeoutForDateIntDeadline(20190101, '1 day');", {}, { nowMs: Date.UTC(2020, 0, 1) }), '0 milliseconds');
  throwsSel(t, () => run("Util.timeoutForDateIntDeadline('2019010101', '1 day');", {}, NOW), 'Invalid format');
  throwsSel(t, () => run("Util.timeoutForDateIntDeadline('20190101', '1 month');", {}, NOW), 'Cannot convert to Duration');
  throwsSel(t, () => run("Util.timeoutForDateTimeDeadline('1 day');", {}, NOW), 'takes 2 argument(s), got 1');
});

test('Util.dateIntsBetween (Maestro vectors)', (t) => {
  t.deepEqual(run("Util.dateIntsBetween('20190226', 20190303, '1');"), [20190226, 20190227, 20190228, 20190301, 20190302]);
  t.deepEqual(run("Util.dateIntsBetween(20181228, '20191002', 90);"), [20181228, 20190328, 20190626, 20190924]);
  t.deepEqual(run('Util.dateIntsBetween(20200226, 20200303, 1);'), [20200226, 20200227, 20200228, 20200229, 20200301, 20200302]);
  t.deepEqual(run('Util.dateIntsBetween(20191226, 20190303, 1);'), []);
  t.deepEqual(run("Util.dateIntsBetween('20190303', 20190226, '-1');"), [20190302, 20190301, 20190228, 20190227, 20190226]);
  t.deepEqual(run("Util.dateIntsBetween(20181228, '20191002', -90);"), []);
  t.deepEqual(run('Util.dateIntsBetween(20200101, 20200110, 1);'), [20200101, 20200102, 20200103, 20200104, 20200105, 20200106, 20200107, 20200108, 20200109]);
  throwsSel(t, () => run('Util.dateIntsBetween(20200101, 20200110, 0);'), 'Invalid incremental interval value: 0');
});

test('Util.intsBetween (Maestro vectors)', (t) => {
  t.deepEqual(run('Util.intsBetween(1, 3, 1);'), [1, 2]);
  t.deepEqual(run("Util.intsBetween('5', 10, 2);"), [5, 7, 9]);
  t.deepEqual(run("Util.intsBetween(-5, '1', 2);"), [-5, -3, -1]);
  t.deepEqual(run("Util.intsBetween(5, '1', '2');"), []);
  t.deepEqual(run("Util.intsBetween(-5, '1', -2);"), []);
  t.deepEqual(run("Util.intsBetween(1, '-5', -2);"), [1, -1, -3]);
  t.deepEqual(run('Util.intsBetween(1, i, 1);', { i: 4 }), [1, 2, 3]);
  throwsSel(t, () => run('Util.intsBetween(5, 1, 0);'), 'the increment must not be 0');
  t.deepEqual(run('Util.intsBetween(1, 5, 0);'), []);
});

test('unknown Util functions are errors', (t) => {
  throwsSel(t, () => run('Util.rm(1);'), 'Util has no method rm()');
});
