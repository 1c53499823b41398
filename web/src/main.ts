/** The web UI's entry: every page element, then the shell that picks one by path. */
import './components/jk-build-form-page.ts';
import './components/jk-build-page.ts';
import './components/jk-history-page.ts';
import './components/jk-home-page.ts';
import './components/jk-job-config-page.ts';
import './components/jk-job-page.ts';
import './components/jk-login-page.ts';
import './components/jk-manage-page.ts';
import './components/jk-new-item-page.ts';
import './components/jk-people-page.ts';
import './components/jk-toast.ts';
import './components/jk-view-editor.ts';
import './components/jk-app.ts';
