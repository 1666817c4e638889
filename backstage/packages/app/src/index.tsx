/**
 * Entry of the portal's bundle (backstage-cli package build): the app of App.tsx rendered into
 * public/index.html's root element, with Backstage UI's stylesheet.
 */
import ReactDOM from 'react-dom/client';
import '@backstage/ui/css/styles.css';
import app from './App';

ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
