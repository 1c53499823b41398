/** The web UI's entry: the shell, which loads each page's element the first time it is shown. */
import './components/jk-toast.ts';
import './components/jk-app.ts';
