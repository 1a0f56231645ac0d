// The live-source components on the stand-in: a recorded take played with Unity's clock, and a
// UDP source listening while enabled (OnEnable / OnDisable called as Unity would call them).
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Threading;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class LiveSourceGlueTests
    {
        static void Message(object component, string name)
        {
            component.GetType().GetMethod(name, BindingFlags.Instance | BindingFlags.NonPublic).Invoke(component, null);
        }

        static string Take(int frames)
        {
            var csv = new StringBuilder("frame,time");
            for (int l = 0; l < 68; l++) csv.Append(",x" + l + ",y" + l);
            csv.Append('\n');
            for (int f = 0; f < frames; f++)
            {
                csv.Append(f + "," + (0.1 * f).ToString(System.Globalization.CultureInfo.InvariantCulture));
                for (int l = 0; l < 136; l++) csv.Append("," + (f * 1000 + l));
                csv.Append('\n');
            }
            return csv.ToString();
        }

        [Test]
        public void ARecordedTakePlaysWithTheClockFromWhenItIsEnabled()
        {
            var face = new GameObject("face");
            var rec = face.AddComponent<RecordedTracksBehaviour>();
            rec.tracks = new TextAsset(Take(5));
            rec.loop = false;
            Time.secondsAsDouble = 10.0;
            Message(rec, "OnEnable");
            Assert.AreEqual(2, rec.Dimensions);
            Assert.AreEqual(LandmarkSpace.ImagePixelsYDown, rec.Space);
            var p = new double[136];
            var c = new double[68];
            Time.secondsAsDouble = 10.25;                 // 0.25 s in: frame 2
            Assert.IsTrue(rec.TryGetLandmarks(p, c));
            Assert.AreEqual(2000.0, p[0]);
            Assert.AreEqual(1.0, c[67]);
            Assert.IsFalse(rec.TryGetLandmarks(p, c), "frame 2 was returned already");
            Time.secondsAsDouble = 11.0;                  // past the end: the last frame
            Assert.IsTrue(rec.TryGetLandmarks(p, c));
            Assert.AreEqual(4135.0, p[135]);
            int errors = StandInProject.Logged(LogType.Error).Count;
            rec.tracks = new TextAsset("not,a,take\n1,2,3\n");
            Assert.IsFalse(rec.TryGetLandmarks(p, c));
            Assert.IsFalse(rec.TryGetLandmarks(p, c));
            Assert.AreEqual(errors + 1, StandInProject.Logged(LogType.Error).Count, "refused once, on the Console");
            Object.DestroyImmediate(face);
        }

        [Test]
        public void TheUdpSourceListensWhileEnabled()
        {
            var face = new GameObject("face");
            var udp = face.AddComponent<UdpLandmarkSourceBehaviour>();
            udp.port = 0;                                  // any free port
            Message(udp, "OnEnable");
            Assert.IsNotNull(udp.Source);
            Assert.IsTrue(udp.Source.IsRunning);
            var packet = new byte[LivePacket.Size(2, 0)];
            Encoding.ASCII.GetBytes("MXLM").CopyTo(packet, 0);
            packet[4] = 1;                                 // version
            packet[6] = 1;                                 // a face
            packet[20] = 68;
            packet[22] = 2;
            for (int i = 0; i < 68; i++) System.BitConverter.GetBytes(0.5f).CopyTo(packet, 28 + 4 * (136 + i));
            using (var client = new UdpClient())
                client.Send(packet, packet.Length, new IPEndPoint(IPAddress.Loopback, udp.Source.Port));
            var p = new double[136];
            var c = new double[68];
            bool got = false;
            for (int i = 0; i < 2000 && !got; i++)
            {
                got = udp.TryGetLandmarks(p, c);
                if (!got) Thread.Sleep(5);
            }
            Assert.IsTrue(got);
            Assert.AreEqual(0.5, c[10]);
            UdpLandmarkSource source = udp.Source;
            Message(udp, "OnDisable");
            Assert.IsNull(udp.Source);
            Assert.IsFalse(source.IsRunning);
            Assert.IsFalse(udp.TryGetLandmarks(p, c));
            Object.DestroyImmediate(face);
        }
    }
}
