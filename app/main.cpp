/// soar-sync: keeps Splunk SOAR instances in step. Everything lives in soar_app.
#include "soar/app/SoarSyncApp.h"

int main(int argc, char** argv) { return soar::app::runMain(argc, argv); }
