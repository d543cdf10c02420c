// Live progress on a job's page: the server streams the job's counts (Server-Sent Events) until it ends.
document.addEventListener('DOMContentLoaded', () => {
  const bar = document.getElementById('progress');
  if (bar) {
    const label = document.getElementById('progress-label');
    const state = document.getElementById('job-state');
    const events = new EventSource(bar.dataset.stream);
    events.addEventListener('progress', e => {
      const job = JSON.parse(e.data);
      bar.max = Math.max(job.total, 1);
      bar.value = job.succeeded + job.failed;
      label.textContent = (job.succeeded + job.failed) + ' of ' + job.total + ' tasks done (' + job.failed + ' failed)';
      state.textContent = job.state;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state)) {
        events.close();
      }
    });
    events.addEventListener('error', () => events.close());
  }
  // A workflow run's page follows the run while it is open.
  const live = document.getElementById('live');
  if (live) {
    setTimeout(() => location.reload(), Number(live.dataset.reload));
  }
  // A bulk action asks before it acts, showing how many jobs it names.
  const bulk = document.getElementById('bulk-retry');
  if (bulk) {
    bulk.addEventListener('submit', e => {
      const n = bulk.querySelectorAll('input[name=job]:checked').length;
      if (n === 0) {
        e.preventDefault();
      }
    });
  }
});
